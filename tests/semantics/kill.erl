-module(kill).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

trapper(Main) ->
    process_flag(trap_exit, true),
    Main ! ready,
    trap_loop(Main).

trap_loop(Main) ->
    receive {'EXIT', _, Reason} -> Main ! {trapped, Reason}, trap_loop(Main) end.

idle() -> receive never -> ok end.

main() ->
    Me = self(),
    T = spawn(fun() -> trapper(Me) end),
    receive ready -> ok end,
    spawn(fun() ->
                  process_flag(trap_exit, true),
                  link(T),
                  Me ! linked,
                  receive {'EXIT', Pid, Reason} -> Me ! {watcher_got, Pid == T, Reason} end
          end),
    receive linked -> ok end,
    {_Plain, RP} = spawn_monitor(fun() -> link(T), Me ! linked, idle() end),
    receive linked -> ok end,
    RT = monitor(process, T),
    exit(T, shutdown),
    receive {trapped, R1} -> pf("trapper trapped ~s", [fmt(R1)]) end,
    exit(T, kill),
    receive {'DOWN', RT, _, _, R2} -> pf("trapper down: ~s", [fmt(R2)]) end,
    receive {watcher_got, Same, R3} -> pf("trapping neighbour got ~s same_pid: ~s", [fmt(R3), Same]) end,
    receive {'DOWN', RP, _, _, R4} -> pf("plain neighbour down: ~s", [fmt(R4)]) end,
    {_K, RK} = spawn_monitor(fun() ->
                                     process_flag(trap_exit, true),
                                     exit(self(), kill),
                                     p(<<"never printed">>)
                             end),
    receive {'DOWN', RK, _, _, R5} -> pf("self-kill: ~s", [fmt(R5)]) end,
    process_flag(trap_exit, true),
    spawn_link(fun() -> exit(kill) end),
    receive {'EXIT', _, R6} -> pf("exit(:kill) seen through a link as ~s", [fmt(R6)]) end,
    {_M, RM} = spawn_monitor(fun() -> spawn_link(fun() -> exit(kill) end), idle() end),
    receive {'DOWN', RM, _, _, R7} -> pf("non-trapping neighbour of exit(:kill) ended with ~s", [fmt(R7)]) end,
    {V, RV} = spawn_monitor(fun() -> process_flag(trap_exit, true), idle() end),
    exit(V, kill),
    receive {'DOWN', RV, _, _, R8} -> pf("monitor sees ~s", [fmt(R8)]) end.
