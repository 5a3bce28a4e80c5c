%% Backpressure on a frozen peer (bench/snow/busy_limit.snow in Erlang):
%% node a connects to node b (started by busy_limit.sh), spawns a process
%% there, freezes b with SIGSTOP, then one process sends it N small
%% messages while the main process waits S seconds; a counter hears every
%% 1000th send. The BEAM suspends the sender once the distribution buffer
%% reaches dist_buf_busy_limit (1 MiB by default). The harness reads the
%% peak RSS. Prints: msgs=N secs=S sent=K status=St busy_limit=B
-module(busy_limit).
-export([main/1]).

main([B, N0, S0]) ->
    N = list_to_integer(atom_to_list(N0)),
    S = list_to_integer(atom_to_list(S0)),
    connect(B, 100),
    OsPid = rpc:call(B, os, getpid, []),
    Sink = spawn(B, fun() -> receive never -> ok end end),
    C = spawn(fun() -> counter(0) end),
    _ = os:cmd("kill -STOP " ++ OsPid),
    F = spawn(fun() -> flood(Sink, 1, N, C) end),
    timer:sleep(S * 1000),
    C ! {get, self()},
    Sent = receive {count, K} -> K end,
    {status, St} = process_info(F, status),
    io:format("msgs=~p secs=~p sent=~p status=~p busy_limit=~p~n",
              [N, S, Sent, St, erlang:system_info(dist_buf_busy_limit)]),
    exit(F, kill),
    _ = os:cmd("kill -KILL " ++ OsPid),
    halt(0).

connect(B, 0) -> erlang:error({cannot_connect, B});
connect(B, K) ->
    case net_kernel:connect_node(B) of
        true -> ok;
        _ -> timer:sleep(100), connect(B, K - 1)
    end.

counter(K) ->
    receive
        {get, From} -> From ! {count, K}, counter(K);
        I -> counter(I)
    end.

flood(_, I, N, _) when I > N -> ok;
flood(S, I, N, C) ->
    S ! I,
    case I rem 1000 of 0 -> C ! I; _ -> ok end,
    flood(S, I + 1, N, C).
