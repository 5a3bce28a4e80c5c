-module(link_abnormal).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

middle(How) ->
    spawn_link(How),
    receive never -> ok end.

watch(How) ->
    {M, R} = spawn_monitor(fun() -> middle(How) end),
    receive {'DOWN', R, process, Pid, Reason} -> pf("middle died: ~s same_pid: ~s", [fmt(Reason), Pid == M]) end.

trapped(How) ->
    C = spawn_link(How),
    receive {'EXIT', Pid, Reason} -> pf("trapped ~s same_pid: ~s", [fmt(Reason), Pid == C]) end.

zero() -> 0.

main() ->
    watch(fun() -> exit(boom) end),
    watch(fun() -> exit({shutdown, 42}) end),
    watch(fun() -> 1 / zero() end),
    watch(fun() -> error(<<"boom">>) end),
    watch(fun() -> exit(shutdown) end),
    process_flag(trap_exit, true),
    trapped(fun() -> exit(boom) end),
    trapped(fun() -> 1 / zero() end),
    trapped(fun() -> error(<<"boom">>) end),
    trapped(fun() -> exit([1, <<"two">>, {three}]) end),
    pf("still alive: ~s", [is_process_alive(self())]).
