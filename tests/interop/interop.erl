%% The Erlang half of tests/interop.rs: each function is one scenario,
%% run on `erl -name e_<test>@127.0.0.1` while a Snow node runs the other
%% half. Lines printed here are compared by the test.
-module(interop).
-export([ping_and_send/1, monitors/1, links/1, nodedown_when_snow_dies/1, nodedown_when_erl_dies/1, questions/1, big_terms/1, cut/1, cut_from_snow/1, two_erls/1]).

%% Waits until the Snow node answers a ping (it may still be starting).
wait_pong(Node) -> wait_pong(Node, 200).
wait_pong(Node, 0) -> io:format("no pong from ~p~n", [Node]), halt(1);
wait_pong(Node, N) ->
    case net_adm:ping(Node) of
        pong -> ok;
        pang -> timer:sleep(50), wait_pong(Node, N - 1)
    end.

out(Fmt, Args) -> io:format(Fmt ++ "~n", Args).

ping_and_send([S]) ->
    wait_pong(S),
    out("ping ~p", [net_adm:ping(S)]),
    register(erlbox, self()),
    {snowbox, S} ! {hello, self()},
    P = receive {hi, Pid} -> out("pid reply from ~p", [node(Pid)]), Pid after 10000 -> out("timeout hi", []), halt(1) end,
    receive {from_snow, N} -> out("registered send from snow ~p", [N]) after 10000 -> out("timeout from_snow", []) end,
    P ! done,
    receive bye -> ok after 10000 -> out("timeout bye", []) end,
    out("global:sync ~p", [global:sync()]),
    out("hidden ~p", [lists:member(S, nodes(hidden)) andalso not lists:member(S, nodes())]).

monitors([S]) ->
    wait_pong(S),
    register(erlctl, self()),
    {snowbox, S} ! {who, self()},
    V = receive {victim, Pid} -> Pid after 10000 -> halt(1) end,
    R1 = monitor(process, V),
    R2 = monitor(process, {victim, S}),
    V ! {die, boom},
    receive {'DOWN', R1, process, V, Why1} -> out("erl: down by pid ~p", [Why1]) after 10000 -> out("timeout", []) end,
    receive {'DOWN', R2, process, Obj, Why2} -> out("erl: down by name ~p ~p", [Obj, Why2]) after 10000 -> out("timeout", []) end,
    R3 = monitor(process, V),
    receive {'DOWN', R3, process, _, Why3} -> out("erl: dead pid ~p", [Why3]) after 10000 -> out("timeout", []) end,
    R4 = monitor(process, {nobody, S}),
    receive {'DOWN', R4, process, Obj4, Why4} -> out("erl: no name ~p ~p", [Obj4, Why4]) after 10000 -> out("timeout", []) end,
    E = spawn(fun() -> receive go -> exit(bang) end end),
    register(eproc, E),
    {snowbox, S} ! {eproc_ready, E},
    receive done -> ok after 10000 -> out("timeout done", []) end.

links([S]) ->
    process_flag(trap_exit, true),
    wait_pong(S),
    register(erlctl, self()),
    {snowbox, S} ! {who, self()},
    W = receive {worker, Pid} -> Pid after 10000 -> halt(1) end,
    link(W),
    {snowbox, S} ! linked,
    receive {'EXIT', W, Why} -> out("erl: exit from snow ~p", [Why]) after 10000 -> out("timeout", []) end,
    Me = self(),
    E = spawn(fun() -> receive linked_from_snow -> Me ! e_linked end, receive after infinity -> ok end end),
    {snowbox, S} ! {elink, E},
    receive e_linked -> exit(E, kill) after 10000 -> out("timeout e_linked", []) end,
    %% a link exit with a plain reason, the other way
    E2 = spawn(fun() -> receive linked_from_snow -> Me ! e2_linked end, receive stop -> exit(shutdown_by_erl) end end),
    {snowbox, S} ! {elink, E2},
    receive e2_linked -> E2 ! stop after 10000 -> out("timeout e2_linked", []) end,
    receive done -> ok after 10000 -> out("timeout done", []) end.

nodedown_when_snow_dies([S]) ->
    process_flag(trap_exit, true),
    wait_pong(S),
    monitor_node(S, true),
    {snowbox, S} ! {who, self()},
    W = receive {worker, Pid} -> Pid after 10000 -> halt(1) end,
    link(W),
    M = monitor(process, W),
    {snowbox, S} ! die,
    out("armed", []),
    receive {'EXIT', W, Why} -> out("erl: link ~p", [Why]) after 10000 -> out("timeout", []) end,
    receive {'DOWN', M, process, W, Why2} -> out("erl: monitor ~p", [Why2]) after 10000 -> out("timeout", []) end,
    receive {nodedown, N} -> out("erl: nodedown ~p", [N =:= S]) after 10000 -> out("timeout", []) end.

nodedown_when_erl_dies([S]) ->
    wait_pong(S),
    E = spawn(fun() -> receive after infinity -> ok end end),
    register(eproc, E),
    {snowbox, S} ! {hello, self(), E},
    receive watching -> halt(0) after 10000 -> out("timeout watching", []) end.

%% Questions both ways: Snow asks about an erl process (its rpc answers),
%% erl asks about a Snow process (`rpc:call`, served by the Snow node);
%% then erl stops and Snow's questions and pings say so.
questions([S]) ->
    wait_pong(S),
    E = spawn(fun() -> process_flag(trap_exit, true), receive after infinity -> ok end end),
    register(eworker, E),
    {snowbox, S} ! {hello, self(), E},
    P = receive {me, Pid} -> Pid after 10000 -> halt(1) end,
    out("erl: rpc alive ~p", [rpc:call(S, erlang, is_process_alive, [P])]),
    out("erl: rpc status ~p", [rpc:call(S, erlang, process_info, [P, status])]),
    out("erl: rpc node ~p", [rpc:call(S, erlang, node, []) =:= S]),
    out("erl: rpc unknown ~p", [element(1, rpc:call(S, lists, seq, [1, 2]))]),
    P ! rpc_done,
    receive stop -> ok after 10000 -> out("timeout stop", []) end.

%% Terms Erlang carries, whatever their depth or size (issue: a term ~1,000
%% deep, or a message over 64 MiB, once closed the connection): erl sends
%% each to the Snow node, which sends it back; erl compares.
big_terms([S]) ->
    wait_pong(S),
    Deep = lists:foldl(fun(_, A) -> [A] end, 0, lists:seq(1, 1100)),
    Deeper = lists:foldl(fun(_, A) -> {A, x} end, 0, lists:seq(1, 200000)),
    Big = binary:copy(<<"snow">>, 20000000),
    Long = lists:seq(1, 1000000),
    Wide = maps:from_list([{N, N} || N <- lists:seq(1, 100000)]),
    [begin
         {snowbox, S} ! {self(), T},
         receive {echo, Back} -> out("~p", [Back =:= T]) after 60000 -> out("timeout", []) end
     end || T <- [Deep, Deeper, Big, Long, Wide]],
    out("still connected ~p", [lists:member(S, nodes(hidden) ++ nodes())]),
    %% The Snow side waits for this before it ends (and its node with it).
    {snowbox, S} ! bye.

%% Snow cuts what this node sends it (`Net.cut(erl, snow)`), from its side
%% alone: Snow stops hearing us, gives up after its tick time and closes;
%% we see the nodedown at once, cannot connect during the cut, and can
%% again once Snow heals it.
cut([S]) ->
    wait_pong(S),
    {snowbox, S} ! {hello, self()},
    monitor_node(S, true),
    receive {nodedown, S} -> out("erl: nodedown", []) end,
    out("erl: ping during the cut ~p", [net_adm:ping(S)]),
    timer:sleep(2000),
    out("erl: ping after the heal ~p", [net_adm:ping(S)]).

%% Snow cuts what it sends to this node (`Net.cut(snow, erl)`): we stop
%% hearing Snow while Snow still hears us. Our heartbeat (net_ticktime 4,
%% from ERL_FLAGS) gives up and closes; Snow learns of it from the close.
cut_from_snow([S]) ->
    wait_pong(S),
    {snowbox, S} ! {hello, self()},
    monitor_node(S, true),
    T0 = erlang:monotonic_time(millisecond),
    receive {nodedown, S} -> ok end,
    Ms = erlang:monotonic_time(millisecond) - T0,
    out("erl: nodedown after the tick time ~p", [Ms >= 2000 andalso Ms =< 8000]),
    out("erl: ping during the cut ~p", [net_adm:ping(S)]),
    timer:sleep(2000),
    out("erl: ping after the heal ~p", [net_adm:ping(S)]).

%% A second erl node (a peer of this one) pings Snow too; Snow is asked to
%% cut the link between the two erl nodes, which neither side of it can
%% enforce, and refuses.
two_erls([S]) ->
    wait_pong(S),
    {ok, Peer, Node2} = peer:start_link(#{name => peer:random_name(two_erls), host => "127.0.0.1",
                                           longnames => true, args => ["-setcookie", "interop"]}),
    pong = erpc:call(Node2, net_adm, ping, [S]),
    {snowbox, S} ! {hello, self(), Node2},
    receive done -> ok end,
    peer:stop(Peer),
    out("erl: done", []).
