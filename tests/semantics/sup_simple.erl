-module(sup_simple).
-export([main/0, init/1, start_worker/2]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

%% simple_one_for_one: one spec, children added by start_child(Sup, Args).
init(Main) ->
    {ok, {#{strategy => simple_one_for_one, intensity => 10, period => 5},
          [#{id => ignored, start => {?MODULE, start_worker, [Main]}, restart => transient}]}}.

start_worker(_Main, ignore) -> ignore;
start_worker(_Main, fail) -> {error, nope};
start_worker(Main, N) ->
    Starter = self(),
    Pid = spawn_link(fun() -> worker(Starter, Main, N) end),
    receive {ready, Pid} -> {ok, Pid} end.

worker(Starter, Main, N) ->
    process_flag(trap_exit, true),
    Main ! {ev, {start, N}},
    Starter ! {ready, self()},
    receive
        {'EXIT', _, Reason} ->
            Main ! {ev, {stop, N, Reason}},
            exit(Reason);
        {exit_with, Reason} -> exit(Reason)
    end.

events(0) -> ok;
events(N) ->
    receive {ev, E} -> p(E) end,
    events(N - 1).

%% Events whose order is not defined, sorted.
sorted_events(N) -> p(lists:sort([receive {ev, E} -> E end || _ <- lists:seq(1, N)])).

shape(P) when is_pid(P) -> pid;
shape(X) -> X.

%% start_child's and restart_child's results as Snow has them: the pid (or
%% :undefined) without {ok, _}.
r({ok, X}) -> shape(X);
r(Other) -> Other.

%% which_children, each child shown by the number it was started with.
children(Sup, Names) ->
    [{Id, case lists:keyfind(C, 1, Names) of {_, N} -> N; false -> shape(C) end, T}
     || {Id, C, T, _} <- supervisor:which_children(Sup)].

counts(Sup) -> [N || {_, N} <- supervisor:count_children(Sup)].

ends(P) ->
    Ref = monitor(process, P),
    P ! {exit_with, boom},
    receive {'DOWN', Ref, _, _, _} -> ok end,
    timer:sleep(20).

start(Sup, N) ->
    {ok, P} = supervisor:start_child(Sup, [N]),
    events(1),
    {P, N}.

main() ->
    {ok, Sup} = supervisor:start_link(?MODULE, self()),
    p(supervisor:which_children(Sup)),
    Names = [start(Sup, N) || N <- [1, 2, 3]],
    p(children(Sup, Names)),
    p(counts(Sup)),
    p(crash_2),
    {P2, 2} = lists:keyfind(2, 2, Names),
    ends(P2),
    events(1),
    [{_, P2b, _, _}] = [C || {_, P, _, _} = C <- supervisor:which_children(Sup), not lists:keymember(P, 1, Names)],
    Names2 = [{P2b, 2} | Names],
    p(children(Sup, Names2)),
    p(end_3_normally),
    {P3, 3} = lists:keyfind(3, 2, Names),
    Ref3 = monitor(process, P3),
    P3 ! {exit_with, normal},
    receive {'DOWN', Ref3, _, _, _} -> timer:sleep(20) end,
    p(children(Sup, Names2)),
    p(terminate_1),
    {P1, 1} = lists:keyfind(1, 2, Names),
    p(supervisor:terminate_child(Sup, P1)),
    events(1),
    p(supervisor:terminate_child(Sup, P1)),
    p(supervisor:terminate_child(Sup, self())),
    p(supervisor:terminate_child(Sup, ignored)),
    p(supervisor:restart_child(Sup, ignored)),
    p(supervisor:delete_child(Sup, ignored)),
    p(r(supervisor:start_child(Sup, [ignore]))),
    p(r(supervisor:start_child(Sup, [fail]))),
    Names3 = [start(Sup, N) || N <- [4, 5, 6]] ++ Names2,
    p(children(Sup, Names3)),
    p(counts(Sup)),
    ok = gen_server:stop(Sup),
    sorted_events(4).
