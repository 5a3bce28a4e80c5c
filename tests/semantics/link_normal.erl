-module(link_normal).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

child() ->
    receive go -> ok end.

non_trapping(Parent) ->
    C = spawn_link(fun child/0),
    R = monitor(process, C),
    C ! go,
    receive {'DOWN', R, process, _, Reason} -> Parent ! {child_down, Reason} end,
    receive ping -> Parent ! still_alive end.

main() ->
    Me = self(),
    W = spawn(fun() -> non_trapping(Me) end),
    receive {child_down, Reason} -> pf("child ended: ~s", [fmt(Reason)]) end,
    W ! ping,
    receive still_alive -> p(<<"non-trapping linked process survives :normal">>) end,
    p(process_flag(trap_exit, true)),
    C = spawn_link(fun child/0),
    C ! go,
    receive {'EXIT', P1, R1} -> pf("trapped ~s same_pid: ~s", [fmt(R1), P1 == C]) end,
    C2 = spawn_link(fun() -> exit(normal) end),
    receive {'EXIT', P2, R2} -> pf("trapped ~s same_pid: ~s", [fmt(R2), P2 == C2]) end,
    receive M -> pf("unexpected ~s", [fmt(M)])
    after 50 -> p(<<"nothing more">>)
    end.
