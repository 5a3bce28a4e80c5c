-module(link_cleanup).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

idle() -> receive {stop, Reason} -> exit(Reason) end.

links_of(P) -> {links, L} = process_info(P, links), length(L).

main() ->
    Me = self(),
    A = spawn_link(fun idle/0),
    B = spawn_link(fun idle/0),
    RA = monitor(process, A),
    A ! {stop, normal},
    receive {'DOWN', RA, _, _, X} -> pf("a ended ~s", [fmt(X)]) end,
    pf("links after a's normal end: ~s", [links_of(self())]),
    pf("send to an ended process returns the message: ~s", [fmt(A ! hello)]),
    {W, RW} = spawn_monitor(fun() ->
                                    Xp = spawn_link(fun idle/0),
                                    Yp = spawn_link(fun idle/0),
                                    Me ! {pair, Xp, Yp},
                                    receive never -> ok end
                            end),
    {Xq, Yq} = receive {pair, X1, Y1} -> {X1, Y1} end,
    Xq ! {stop, normal},
    RX = monitor(process, Xq),
    receive {'DOWN', RX, _, _, _} -> ok end,
    pf("w alive after x ended normally: ~s; its links: ~s", [is_process_alive(W), links_of(W)]),
    Yq ! {stop, crash},
    receive {'DOWN', RW, _, _, X2} -> pf("w ended ~s when y crashed", [fmt(X2)]) end,
    process_flag(trap_exit, true),
    B ! {stop, first},
    receive {'EXIT', B, X3} -> pf("trapped ~s", [fmt(X3)]) end,
    {_T, RT} = spawn_monitor(fun() ->
                                     process_flag(trap_exit, true),
                                     C = spawn_link(fun idle/0),
                                     D = spawn_link(fun idle/0),
                                     C ! {stop, one},
                                     receive {'EXIT', C, _} -> ok end,
                                     self() ! marker,
                                     C2 = spawn_link(fun() -> exit(two) end),
                                     receive {'EXIT', C2, _} -> self() ! seen_two end,
                                     pf("old flag: ~s", [process_flag(trap_exit, false)]),
                                     receive M1 -> pf("still in the mailbox: ~s", [fmt(M1)]) end,
                                     receive M2 -> pf("still in the mailbox: ~s", [fmt(M2)]) end,
                                     D ! {stop, three},
                                     receive never -> ok end
                             end),
    receive {'DOWN', RT, _, _, X4} -> pf("t ended ~s once not trapping", [fmt(X4)]) end.
