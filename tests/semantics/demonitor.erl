-module(demonitor).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

waiter() -> receive {stop, Reason} -> exit(Reason) end.

main() ->
    T = spawn(fun waiter/0),
    R = monitor(process, T),
    p(demonitor(R)),
    RCheck = monitor(process, T),
    T ! {stop, bye},
    receive {'DOWN', RCheck, _, _, X} -> pf("second monitor fired: ~s", [fmt(X)]) end,
    receive {'DOWN', R, _, _, _} -> p(<<"BUG: demonitored ref fired">>)
    after 50 -> p(<<"demonitored ref never fires">>)
    end,
    T2 = spawn(fun waiter/0),
    R2 = monitor(process, T2),
    R2b = monitor(process, T2),
    T2 ! {stop, bye},
    receive {'DOWN', R2b, _, _, _} -> ok end,
    demonitor(R2),
    receive {'DOWN', R2, _, _, X2} -> pf("without flush the :down stays: ~s", [fmt(X2)])
    after 0 -> p(<<"BUG: :down gone">>)
    end,
    T3 = spawn(fun waiter/0),
    R3 = monitor(process, T3),
    R3b = monitor(process, T3),
    self() ! before,
    T3 ! {stop, bye},
    receive {'DOWN', R3b, _, _, _} -> ok end,
    self() ! 'after',
    demonitor(R3, [flush]),
    receive {'DOWN', R3, _, _, _} -> p(<<"BUG: flush left the :down">>)
    after 0 -> p(<<"with flush the :down is gone">>)
    end,
    receive M1 -> pf("next: ~s", [fmt(M1)]) end,
    receive M2 -> pf("next: ~s", [fmt(M2)]) end,
    T4 = spawn(fun waiter/0),
    R4 = monitor(process, T4),
    demonitor(R4, [flush]),
    T4 ! {stop, bye},
    receive M -> pf("unexpected ~s", [fmt(M)])
    after 50 -> p(<<"nothing after flush of a live monitor">>)
    end.
