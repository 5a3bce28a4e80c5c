-module(sup_intensity).
-export([main/0, init/1, start_worker/2]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init({Max, Children}) -> {ok, {#{strategy => one_for_one, intensity => Max, period => 5}, Children}}.

%% A worker says when it starts, and when an exit signal ends it (it traps
%% exits, so the supervisor's :shutdown reaches it as a message). Its start
%% returns once it traps exits, as a gen_server's start_link does.
start_worker(Main, Id) ->
    Starter = self(),
    Pid = spawn_link(fun() -> worker(Starter, Main, Id) end),
    receive {ready, Pid} -> {ok, Pid} end.

worker(Starter, Main, Id) ->
    process_flag(trap_exit, true),
    Main ! {ev, {start, Id}},
    Starter ! {ready, self()},
    receive
        {'EXIT', _, Reason} ->
            Main ! {ev, {stop, Id, Reason}},
            exit(Reason);
        {exit_with, Reason} -> exit(Reason)
    end.

spec(Id) -> #{id => Id, start => {?MODULE, start_worker, [self(), Id]}}.

events(0) -> ok;
events(N) ->
    receive {ev, E} -> p(E) end,
    events(N - 1).

shape(P) when is_pid(P) -> pid;
shape(X) -> X.

children(Sup) -> [{Id, shape(C), T} || {Id, C, T, _} <- supervisor:which_children(Sup)].

pid_of(Sup, Id) ->
    {Id, P, _, _} = lists:keyfind(Id, 1, supervisor:which_children(Sup)),
    P.

%% Ends a child with Reason and waits for its end (and a little more, so
%% that the supervisor has handled it before the next request).
ends(Sup, Id, Reason) ->
    P = pid_of(Sup, Id),
    Ref = monitor(process, P),
    P ! {exit_with, Reason},
    receive {'DOWN', Ref, _, _, _} -> ok end,
    timer:sleep(20).

counts(Sup) -> [N || {_, N} <- supervisor:count_children(Sup)].

run(Max, Crashes) ->
    p({max_restarts, Max}),
    {ok, Sup} = supervisor:start_link(?MODULE, {Max, [spec(a), spec(b), spec(c)]}),
    Ref = monitor(process, Sup),
    events(3),
    lists:foreach(fun(_) -> ends(Sup, b, boom), events(1) end, lists:seq(1, Crashes)),
    %% one restart too many: the supervisor stops the others and exits
    p(crash_b_again),
    P = pid_of(Sup, b),
    P ! {exit_with, boom},
    events(2),
    receive {'EXIT', Sup, R} -> p({exit, R}) end,
    receive {'DOWN', Ref, _, _, R2} -> p({down, R2}) end.

main() ->
    process_flag(trap_exit, true),
    run(2, 2),
    run(0, 0),
    run(3, 3).
