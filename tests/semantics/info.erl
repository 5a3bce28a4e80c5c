-module(info).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

idle() -> receive {stop, Reason} -> exit(Reason) end.

%% Process.info as Snow shows it: monitors as a list of pids, nil name.
info(P, links) -> {links, L} = process_info(P, links), L;
info(P, monitored_by) -> {monitored_by, L} = process_info(P, monitored_by), L;
info(P, monitors) -> {monitors, L} = process_info(P, monitors), [Pid || {process, Pid} <- L];
info(P, registered_name) ->
    case process_info(P, registered_name) of
        [] -> nil;
        {registered_name, N} -> N
    end;
info(P, K) -> {K, V} = process_info(P, K), V.

main() ->
    Me = self(),
    T = spawn(fun idle/0),
    pf("alive: ~s", [is_process_alive(T)]),
    pf("in Process.list: ~s", [length([P || P <- processes(), P == T]) == 1]),
    link(T),
    R = monitor(process, T),
    pf("links is [me]: ~s", [info(T, links) == [Me]]),
    pf("monitored_by is [me]: ~s", [info(T, monitored_by) == [Me]]),
    pf("monitors: ~s", [fmt(info(T, monitors))]),
    pf("trap_exit: ~s", [info(T, trap_exit)]),
    pf("registered_name: ~s", [fmt(info(T, registered_name))]),
    pf("my monitors is [t]: ~s", [info(self(), monitors) == [T]]),
    pf("my links is [t]: ~s", [info(self(), links) == [T]]),
    T ! one, T ! two, T ! three,
    pf("message_queue_len: ~s", [info(T, message_queue_len)]),
    timer:sleep(50),
    pf("status while blocked in receive: ~s", [fmt(info(T, status))]),
    pf("own status: ~s", [fmt(info(self(), status))]),
    N = spawn(fun() ->
                      process_flag(trap_exit, true),
                      register(info_named, self()),
                      Me ! ready,
                      idle()
              end),
    receive ready -> ok end,
    pf("trap_exit: ~s registered_name: ~s", [info(N, trap_exit), fmt(info(N, registered_name))]),
    unlink(T),
    demonitor(R),
    pf("after unlink/demonitor: links ~s monitored_by ~s", [fmt(info(T, links)), fmt(info(T, monitored_by))]),
    R2 = monitor(process, T),
    T ! {stop, done},
    receive {'DOWN', R2, _, _, _} -> ok end,
    pf("dead: alive ~s info ~s", [is_process_alive(T), fmt(case process_info(T) of undefined -> nil; I -> I end)]),
    pf("dead not in Process.list: ~s", [not lists:member(T, processes())]),
    pf("self alive: ~s", [is_process_alive(self())]),
    N ! {stop, done}.
