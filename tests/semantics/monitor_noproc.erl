-module(monitor_noproc).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

main() ->
    {Gone, R} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', R, _, _, X} -> pf("first monitor: ~s", [fmt(X)]) end,
    R2 = monitor(process, Gone),
    receive {'DOWN', R2, process, P, X2} -> pf("dead pid: ~s same_pid: ~s", [fmt(X2), P == Gone])
    after 1000 -> p(<<"BUG: no :down yet">>)
    end,
    R3 = monitor(process, nobody_here),
    receive {'DOWN', R3, process, W3, X3} -> pf("unregistered name: ~s ~s", [fmt(W3), fmt(X3)])
    after 0 -> p(<<"BUG: no :down yet">>)
    end,
    R4 = monitor(process, {nobody_here, nonode@nohost}),
    receive {'DOWN', R4, process, W4, X4} -> pf("unregistered (name, node): ~s ~s", [fmt(W4), fmt(X4)])
    after 0 -> p(<<"BUG: no :down yet">>)
    end,
    Pr = spawn(fun() -> receive go -> ok end end),
    register(short_lived, Pr),
    RP = monitor(process, Pr),
    Pr ! go,
    receive {'DOWN', RP, _, _, _} -> ok end,
    R5 = monitor(process, short_lived),
    receive {'DOWN', R5, process, W5, X5} -> pf("released name: ~s ~s", [fmt(W5), fmt(X5)])
    after 0 -> p(<<"BUG: no :down yet">>)
    end,
    R6 = monitor(process, nobody_here),
    demonitor(R6, [flush]),
    receive M -> pf("unexpected ~s", [fmt(M)])
    after 0 -> p(<<"flushed">>)
    end.
