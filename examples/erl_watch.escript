#!/usr/bin/env escript
%%! -name erl_watch@127.0.0.1 -setcookie snow -hidden
%% The Erlang half of examples/erl_watch.snow.
main(_) ->
    Snow = 'snow_watch@127.0.0.1',
    pong = wait_pong(Snow, 100),
    monitor_node(Snow, true),
    Me = self(),
    Worker = spawn(fun() ->
                       receive {hello, Buddy} -> Me ! {buddy, Buddy} end,
                       receive stop -> exit(erl_says_bye) end
                   end),
    {snow_watch, Snow} ! {hello, Worker},
    Buddy = receive {buddy, B} -> B after 10000 -> halt(1) end,
    Ref = monitor(process, Buddy),
    io:format("erl: watching a process on ~p~n", [node(Buddy)]),
    Worker ! stop,
    receive {'DOWN', Ref, process, _, Why} -> io:format("erl: the snow process went down: ~p~n", [Why])
    after 10000 -> io:format("erl: no DOWN~n")
    end,
    halt(0).

wait_pong(_, 0) -> pang;
wait_pong(Node, N) ->
    case net_adm:ping(Node) of
        pong -> pong;
        pang -> timer:sleep(100), wait_pong(Node, N - 1)
    end.
