-module(exit_signals).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

echo() ->
    receive {ping, From} -> From ! pong, echo() end.

main() ->
    Me = self(),
    E = spawn(fun echo/0),
    exit(E, normal),
    E ! {ping, Me},
    receive pong -> pf("non-trapping target ignores :normal; alive: ~s", [is_process_alive(E)]) end,
    T = spawn(fun() ->
                      Old = process_flag(trap_exit, true),
                      Me ! {flag_was, Old},
                      receive M -> Me ! {got, M} end
              end),
    receive {flag_was, Old} -> pf("trap_exit was ~s", [Old]) end,
    exit(T, normal),
    receive {got, {'EXIT', From, R}} -> pf("trapping target got (:exit, from, ~s) from_is_sender: ~s", [fmt(R), From == Me]) end,
    {_S, RS} = spawn_monitor(fun() -> exit(self(), normal), Me ! still_running end),
    receive {'DOWN', RS, _, _, R1} -> pf("self :normal: down ~s", [fmt(R1)]) end,
    receive still_running -> p(<<"BUG: ran on after Process.exit(self(), :normal)">>)
    after 0 -> p(<<"nothing ran after it">>)
    end,
    {_S2, RS2} = spawn_monitor(fun() ->
                                       process_flag(trap_exit, true),
                                       exit(self(), normal),
                                       receive {'EXIT', F, R0} -> Me ! {self_trapped, F == self(), R0} end
                               end),
    receive {self_trapped, Same, R2} -> pf("trapping self :normal: message ~s from_self: ~s", [fmt(R2), Same]) end,
    receive {'DOWN', RS2, _, _, R3} -> pf("then ended ~s", [fmt(R3)]) end,
    {D, RD} = spawn_monitor(fun echo/0),
    exit(D, shutdown),
    receive {'DOWN', RD, _, _, R4} -> pf("non-trapping target died: ~s", [fmt(R4)]) end,
    {D2, RD2} = spawn_monitor(fun echo/0),
    exit(D2, {custom, [1, 2]}),
    receive {'DOWN', RD2, _, _, R5} -> pf("non-trapping target died: ~s", [fmt(R5)]) end,
    {_S3, RS3} = spawn_monitor(fun() -> exit(self(), bye) end),
    receive {'DOWN', RS3, _, _, R6} -> pf("self :bye: down ~s", [fmt(R6)]) end,
    p(process_flag(trap_exit, true)),
    p(process_flag(trap_exit, true)),
    p(process_flag(trap_exit, false)),
    p(process_flag(trap_exit, false)).
