-module(timers).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

now_us() -> erlang:monotonic_time(microsecond).

main() ->
    Me = self(),
    T0 = now_us(),
    R = erlang:send_after(60, Me, tick),
    pf("is a reference: ~s", [is_reference(R)]),
    receive tick -> pf("tick after at least 60 ms: ~s", [now_us() - T0 >= 60000]) end,
    pf("cancel after it fired: ~s", [erlang:cancel_timer(R)]),
    R2 = erlang:send_after(5000, Me, never),
    Left = erlang:cancel_timer(R2),
    pf("left is an integer in 0..5000: ~s", [is_integer(Left) andalso Left > 0 andalso Left =< 5000]),
    pf("cancel twice: ~s", [erlang:cancel_timer(R2)]),
    receive never -> p(<<"BUG: cancelled timer fired">>)
    after 100 -> p(<<"cancelled timer never fires">>)
    end,
    erlang:send_after(150, Me, {t, 150}),
    erlang:send_after(50, Me, {t, 50}),
    erlang:send_after(100, Me, {t, 100}),
    [receive {t, N} -> pf("fired ~s", [N]) end || _ <- [1, 2, 3]],
    register(timer_target, Me),
    erlang:send_after(50, timer_target, by_name),
    receive by_name -> p(<<"send_after to a name">>) end,
    {Gone, RG} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', RG, _, _, _} -> ok end,
    R3 = erlang:send_after(50, Gone, lost),
    timer:sleep(100),
    pf("to a dead pid, nothing happens; cancel: ~s", [erlang:cancel_timer(R3)]),
    T1 = now_us(),
    timer:sleep(50),
    pf("slept at least 50 ms: ~s", [now_us() - T1 >= 50000]).
