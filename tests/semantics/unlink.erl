-module(unlink).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

idle() -> receive {stop, Reason} -> exit(Reason) end.

main() ->
    Me = self(),
    process_flag(trap_exit, true),
    A = spawn_link(fun idle/0),
    unlink(A),
    RA = monitor(process, A),
    A ! {stop, boom},
    receive {'DOWN', RA, _, _, X} -> pf("a ended ~s", [fmt(X)]) end,
    receive {'EXIT', _, _} -> p(<<"BUG: exit after unlink">>)
    after 50 -> p(<<"no (:exit, ...) after unlink">>)
    end,
    B = spawn_link(fun idle/0),
    RB = monitor(process, B),
    B ! {stop, in_flight},
    receive {'DOWN', RB, _, _, X2} -> pf("b ended ~s", [fmt(X2)]) end,
    unlink(B),
    receive {'EXIT', B, X3} -> pf("already delivered before unlink: ~s", [fmt(X3)])
    after 1000 -> p(<<"BUG: nothing">>)
    end,
    C = spawn_link(fun() -> unlink(Me), Me ! unlinked, idle() end),
    receive unlinked -> ok end,
    {links, L} = process_info(self(), links),
    pf("my links: ~s", [length(L)]),
    RC = monitor(process, C),
    C ! {stop, boom},
    receive {'DOWN', RC, _, _, X4} -> pf("c ended ~s", [fmt(X4)]) end,
    receive {'EXIT', _, _} -> p(<<"BUG: exit after the other side unlinked">>)
    after 50 -> p(<<"no (:exit, ...) after the other side unlinked">>)
    end,
    process_flag(trap_exit, false),
    D = spawn_link(fun idle/0),
    unlink(D),
    RD = monitor(process, D),
    D ! {stop, crash},
    receive {'DOWN', RD, _, _, X5} -> pf("d ended ~s; alive: ~s", [fmt(X5), is_process_alive(self())]) end,
    p(unlink(D)).
