-module(names).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1, where/1]).

server() ->
    receive
        {ping, From} -> From ! pong, server();
        stop -> ok
    end.

attempt(What, F) ->
    {_, R} = spawn_monitor(F),
    receive {'DOWN', R, _, _, Reason} -> pf("~s: ~s", [What, fmt(Reason)]) end.

info_name(P) ->
    case process_info(P, registered_name) of
        [] -> nil;
        {registered_name, N} -> N
    end.

main() ->
    S = spawn(fun server/0),
    p(register(srv, S)),
    pf("whereis same pid: ~s", [where(srv) == S]),
    %% Erlang's own system processes have names too: keep ours.
    pf("registered: ~s", [fmt([N || N <- registered(), N == srv])]),
    pf("info name: ~s", [fmt(info_name(S))]),
    srv ! {ping, self()},
    receive pong -> p(<<"send by name: pong">>) end,
    pf("whereis unknown: ~s", [fmt(where(nobody))]),
    attempt(<<"register a taken name">>, fun() -> register(srv, self()) end),
    attempt(<<"register a second name for a named pid">>, fun() -> register(other, S) end),
    attempt(<<"send to an unregistered name">>, fun() -> nobody ! hi end),
    attempt(<<"unregister an unknown name">>, fun() -> unregister(nobody) end),
    {Dead, RD} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', RD, _, _, _} -> ok end,
    attempt(<<"register a dead pid">>, fun() -> register(ghost, Dead) end),
    pf("ghost: ~s", [fmt(where(ghost))]),
    R = monitor(process, S),
    srv ! stop,
    receive {'DOWN', R, _, _, X} -> pf("srv ended ~s; whereis: ~s", [fmt(X), fmt(where(srv))]) end,
    pf("registered: ~s", [fmt([N || N <- registered(), N == srv])]),
    S2 = spawn(fun server/0),
    p(register(srv, S2)),
    pf("re-registered: ~s", [where(srv) == S2]),
    exit(S2, kill),
    R2 = monitor(process, S2),
    receive {'DOWN', R2, _, _, X2} -> pf("killed: ~s; whereis: ~s", [fmt(X2), fmt(where(srv))]) end,
    S3 = spawn(fun server/0),
    register(srv3, S3),
    p(unregister(srv3)),
    pf("after unregister: ~s ~s", [fmt(where(srv3)), fmt(info_name(S3))]),
    register(me, self()),
    pf("self named: ~s", [where(me) == self()]),
    S3 ! stop.
