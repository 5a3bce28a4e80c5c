-module(sup_nested).
-export([main/0, init/1, start_worker/2, start_inner/1]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

%% The outer supervisor: an inner supervisor and a worker x; it allows one
%% restart in 5 s. The inner one: workers w1 and w2, one restart in 5 s.
init({outer, Main, InnerRestart}) ->
    {ok, {#{strategy => one_for_one, intensity => 1, period => 5},
          [#{id => inner, start => {?MODULE, start_inner, [Main]}, type => supervisor, restart => InnerRestart},
           #{id => x, start => {?MODULE, start_worker, [Main, x]}}]}};
init({inner, Main}) ->
    {ok, {#{strategy => one_for_one, intensity => 1, period => 5},
          [#{id => w1, start => {?MODULE, start_worker, [Main, w1]}},
           #{id => w2, start => {?MODULE, start_worker, [Main, w2]}}]}}.

start_inner(Main) ->
    Main ! {ev, start_inner},
    supervisor:start_link(?MODULE, {inner, Main}).

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

%% The inner supervisor gives up: w1 crashes twice (one restart allowed).
inner_gives_up(Outer) ->
    Inner = pid_of(Outer, inner),
    Ref = monitor(process, Inner),
    ends(Inner, w1, boom),
    events(1),
    p(crash_w1_again),
    pid_of(Inner, w1) ! {exit_with, boom},
    events(1),
    receive {'DOWN', Ref, _, _, R} -> p({inner_down, R}) end.

main() ->
    process_flag(trap_exit, true),
    p(permanent_inner),
    {ok, Outer} = supervisor:start_link(?MODULE, {outer, self(), permanent}),
    events(4),
    p(children(Outer)),
    inner_gives_up(Outer),
    events(3),
    p(children(Outer)),
    p(again),
    inner_gives_up(Outer),
    %% the outer supervisor is past its own intensity now
    events(1),
    receive {'EXIT', Outer, R} -> p({outer_exit, R}) end,
    p(transient_inner),
    {ok, Outer2} = supervisor:start_link(?MODULE, {outer, self(), transient}),
    events(4),
    inner_gives_up(Outer2),
    timer:sleep(20),
    p(children(Outer2)),
    p(counts(Outer2)),
    ok = gen_server:stop(Outer2),
    events(1).
