-module(link_dead).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

idle() -> receive {stop, Reason} -> exit(Reason) end.

nlinks() ->
    {links, L} = process_info(self(), links),
    length(L).

main() ->
    {Dead, R} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', R, _, _, _} -> ok end,
    Me = self(),
    {_C, RC} = spawn_monitor(fun() -> link(Dead), Me ! 'BUG_link_returned' end),
    receive {'DOWN', RC, _, _, X} -> pf("non-trapping link to a dead pid: ~s", [fmt(X)]) end,
    process_flag(trap_exit, true),
    pf("trapping link returns: ~s", [link(Dead)]),
    receive {'EXIT', Pid, X2} -> pf("then (:exit, pid, ~s) same_pid: ~s", [fmt(X2), Pid == Dead])
    after 1000 -> p(<<"BUG: no message">>)
    end,
    process_flag(trap_exit, false),
    T = spawn(fun idle/0),
    link(T), link(T), link(T),
    pf("my links: ~s", [nlinks()]),
    unlink(T),
    pf("after one unlink: ~s", [nlinks()]),
    link(self()),
    pf("after link(self()): ~s", [nlinks()]),
    RT = monitor(process, T),
    T ! {stop, boom},
    receive {'DOWN', RT, _, _, X3} -> pf("t ended ~s; we live: ~s", [fmt(X3), is_process_alive(self())]) end.
