-module(monitors).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

idle() -> receive {stop, Reason} -> exit(Reason) end.

zero() -> 0.

main() ->
    T = spawn(fun idle/0),
    R1 = monitor(process, T),
    R2 = monitor(process, T),
    R3 = monitor(process, T),
    pf("fresh refs: ~s", [R1 =/= R2 andalso R2 =/= R3 andalso R1 =/= R3]),
    T ! {stop, done},
    receive {'DOWN', R2, process, P2, X2} -> pf("r2: ~s same_pid: ~s", [fmt(X2), P2 == T]) end,
    receive {'DOWN', R1, process, P1, X1} -> pf("r1: ~s same_pid: ~s", [fmt(X1), P1 == T]) end,
    receive {'DOWN', R3, process, P3, X3} -> pf("r3: ~s same_pid: ~s", [fmt(X3), P3 == T]) end,
    receive M -> pf("unexpected ~s", [fmt(M)])
    after 50 -> p(<<"exactly one :down per monitor">>)
    end,
    Me = self(),
    spawn(fun() -> monitor(process, Me), Me ! watching, exit(watcher_gone) end),
    receive watching -> ok end,
    receive M2 -> pf("unexpected ~s", [fmt(M2)])
    after 50 -> pf("watcher's death sent us nothing; alive: ~s", [is_process_alive(self())])
    end,
    {_A, RA} = spawn_monitor(fun() -> 1 / zero() end),
    receive {'DOWN', RA, _, _, XA} -> pf("monitored crash: ~s", [fmt(XA)]) end,
    p(<<"still here">>),
    N = spawn(fun idle/0),
    register(named_target, N),
    RN = monitor(process, named_target),
    named_target ! {stop, bye},
    receive {'DOWN', RN, process, Who, XN} -> pf("by name: ~s ~s", [fmt(Who), fmt(XN)]) end,
    N2 = spawn(fun idle/0),
    register(named_target2, N2),
    RN2 = monitor(process, {named_target2, nonode@nohost}),
    N2 ! {stop, bye2},
    receive {'DOWN', RN2, process, Who2, XN2} -> pf("by (name, node): ~s ~s", [fmt(Who2), fmt(XN2)]) end.
