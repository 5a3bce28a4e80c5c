-module(ordering).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

sender(To, Tag, N, Last) when N =< Last -> To ! {Tag, N}, sender(To, Tag, N + 1, Last);
sender(_, _, _, _) -> nil.

collect(0, A, B) -> {lists:reverse(A), lists:reverse(B)};
collect(Count, A, B) ->
    receive
        {a, N} -> collect(Count - 1, [N | A], B);
        {b, N} -> collect(Count - 1, A, [N | B])
    end.

main() ->
    Me = self(),
    spawn(fun() -> sender(Me, a, 1, 500) end),
    spawn(fun() -> sender(Me, b, 1, 500) end),
    {A, B} = collect(1000, [], []),
    pf("sender a in order: ~s", [A == lists:seq(1, 500)]),
    pf("sender b in order: ~s", [B == lists:seq(1, 500)]),
    {_P, R} = spawn_monitor(fun() -> sender(Me, a, 1, 3), exit(done) end),
    [receive
         {'DOWN', R, _, _, X} -> pf("down ~s", [fmt(X)]);
         M -> p(M)
     end || _ <- [1, 2, 3, 4]],
    process_flag(trap_exit, true),
    L = spawn_link(fun() -> sender(Me, b, 1, 3), exit(done) end),
    [receive
         {'EXIT', L, X2} -> pf("exit ~s", [fmt(X2)]);
         M2 -> p(M2)
     end || _ <- [1, 2, 3, 4]],
    Xp = spawn(fun() -> Me ! before, exit(Me, signal), Me ! 'after' end),
    [receive
         {'EXIT', From, X3} -> pf("exit ~s from x: ~s", [fmt(X3), From == Xp]);
         M3 -> p(M3)
     end || _ <- [1, 2, 3]].
