-module(spawn_atomic).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

add_and_report(To, A, B) -> To ! {sum, A + B}.

main() ->
    {P, R} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', R, _, Pid, X} -> pf("spawn_monitor, returns at once: ~s same_pid: ~s", [fmt(X), Pid == P]) end,
    {_P2, R2} = spawn_monitor(fun() -> exit(quick) end),
    receive {'DOWN', R2, _, _, X2} -> pf("spawn_monitor, exits at once: ~s", [fmt(X2)]) end,
    {_P3, R3} = spawn_monitor(fun() -> error(<<"early">>) end),
    receive {'DOWN', R3, _, _, X3} -> pf("spawn_monitor, raises at once: ~s", [fmt(X3)]) end,
    process_flag(trap_exit, true),
    L = spawn_link(fun() -> exit(quick) end),
    receive {'EXIT', PL, XL} -> pf("spawn_link, exits at once: ~s same_pid: ~s", [fmt(XL), PL == L]) end,
    L2 = spawn_link(fun() -> ok end),
    receive {'EXIT', PL2, XL2} -> pf("spawn_link, returns at once: ~s same_pid: ~s", [fmt(XL2), PL2 == L2]) end,
    Me = self(),
    spawn(fun() -> add_and_report(Me, 40, 2) end),
    receive {sum, S} -> pf("spawn with arguments: ~s", [S]) end,
    {_, R4} = spawn_monitor(fun() -> add_and_report(Me, 1, 2) end),
    receive {sum, S2} -> pf("spawn_monitor with arguments: ~s", [S2]) end,
    receive {'DOWN', R4, _, _, X4} -> pf("then ~s", [fmt(X4)]) end,
    Refs = [begin {_, Rf} = spawn_monitor(fun() -> exit({n, I}) end), {Rf, I} end || I <- lists:seq(1, 50)],
    Ok = [receive {'DOWN', Rf, _, _, {n, I}} -> true after 2000 -> false end || {Rf, I} <- Refs],
    pf("50 quick children, all :down with their reason: ~s", [lists:all(fun(B) -> B end, Ok)]).
