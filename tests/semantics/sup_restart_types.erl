-module(sup_restart_types).
-export([main/0, init/1, start_worker/2]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init(Children) -> {ok, {#{strategy => one_for_one, intensity => 20, period => 5}, Children}}.

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

spec(Id, Restart) -> #{id => Id, start => {?MODULE, start_worker, [self(), Id]}, restart => Restart}.

%% Each kind of child ends with Reason: the permanent one is always
%% restarted, the transient one only for an abnormal reason, the temporary
%% one never (and the supervisor forgets it).
round(Sup, Reason) ->
    p({reason, Reason}),
    ends(Sup, p, Reason),
    events(1),
    ends(Sup, t, Reason),
    case Reason of
        boom -> events(1);
        _ ->
            p(children(Sup)),
            {ok, _} = supervisor:restart_child(Sup, t),
            events(1)
    end,
    ends(Sup, tmp, Reason),
    p(children(Sup)),
    p(supervisor:restart_child(Sup, tmp)),
    {ok, _} = supervisor:start_child(Sup, spec(tmp, temporary)),
    events(1).

main() ->
    {ok, Sup} = supervisor:start_link(?MODULE, [spec(p, permanent), spec(t, transient), spec(tmp, temporary)]),
    events(3),
    lists:foreach(fun(R) -> round(Sup, R) end, [normal, shutdown, {shutdown, bye}, boom]),
    p(children(Sup)),
    p(counts(Sup)),
    ok = gen_server:stop(Sup),
    events(3).
