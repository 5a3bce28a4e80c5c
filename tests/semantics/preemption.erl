-module(preemption).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

spin(N) -> spin(N + 1).

echo() -> receive {ping, N, From} -> From ! {pong, N}, echo() end.

main() ->
    Spinners = [spawn_monitor(fun() -> spin(0) end) || _ <- lists:seq(1, 4)],
    E = spawn(fun echo/0),
    Got = [begin E ! {ping, N, self()}, receive {pong, N} -> N end end || N <- lists:seq(1, 20)],
    pf("20 ping-pongs while 4 loops spin: ~s", [lists:sum(Got)]),
    erlang:send_after(50, self(), timer),
    receive timer -> p(<<"timer fired">>) end,
    receive never -> ok after 50 -> p(<<"after 50 fired">>) end,
    Reasons = [begin exit(P, kill), receive {'DOWN', R, _, _, X} -> X end end || {P, R} <- Spinners],
    pf("spinners: ~s", [fmt(Reasons)]).
