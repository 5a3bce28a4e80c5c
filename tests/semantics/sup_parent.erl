-module(sup_parent).
-export([main/0, init/1, start_worker/2]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init(Children) -> {ok, {#{strategy => one_for_one, intensity => 10, period => 5}, Children}}.

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

%% A process that starts a supervisor (so it is its parent), hands it over,
%% and ends with the reason it is sent.
parent(Main) ->
    Spec = fun(Id) -> #{id => Id, start => {?MODULE, start_worker, [Main, Id]}} end,
    {ok, Sup} = supervisor:start_link(?MODULE, [Spec(a), Spec(b), Spec(c)]),
    Main ! {sup, Sup},
    receive {die, Reason} -> exit(Reason) end.

start_under_parent() ->
    Main = self(),
    Parent = spawn(fun() -> parent(Main) end),
    receive {sup, Sup} -> {Parent, Sup} end.

down(Ref) -> receive {'DOWN', Ref, _, _, R} -> p({sup_down, R}) end.

main() ->
    p(parent_exits),
    {Parent, Sup} = start_under_parent(),
    events(3),
    Ref = monitor(process, Sup),
    Parent ! {die, bye},
    events(3),
    down(Ref),
    p(exit_signal_from_a_stranger),
    {Parent2, Sup2} = start_under_parent(),
    events(3),
    Stranger = spawn(fun() -> exit(Sup2, shutdown) end),
    Ref2 = monitor(process, Stranger),
    receive {'DOWN', Ref2, _, _, _} -> ok end,
    timer:sleep(20),
    p(is_process_alive(Sup2)),
    p(children(Sup2)),
    p(stop_with_a_reason),
    Ref3 = monitor(process, Sup2),
    p(gen_server:stop(Sup2, {shutdown, done}, infinity)),
    events(3),
    down(Ref3),
    exit(Parent2, kill),
    p(killed),
    {_Parent3, Sup3} = start_under_parent(),
    events(3),
    Ref4 = monitor(process, Sup3),
    exit(Sup3, kill),
    down(Ref4),
    %% the children end at once, in no defined order
    p(lists:sort([receive {ev, E} -> E end || _ <- [1, 2, 3]])).
