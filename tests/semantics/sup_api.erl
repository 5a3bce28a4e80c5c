-module(sup_api).
-export([main/0, init/1, start_worker/2, start_other/1]).
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

start_other(Answer) -> Answer.

other(Id, Answer, Restart) -> #{id => Id, start => {?MODULE, start_other, [Answer]}, restart => Restart}.

%% start_child's and restart_child's results as Snow has them: the pid (or
%% :undefined) without {ok, _}.
r({ok, X}) -> shape(X);
r({error, {already_started, P}}) -> {error, {already_started, shape(P)}};
r(Other) -> Other.

main() ->
    {ok, Sup} = supervisor:start_link(?MODULE, [spec(a), spec(b)]),
    events(2),
    p(terminate_a),
    p(supervisor:terminate_child(Sup, a)),
    events(1),
    p(children(Sup)),
    p(counts(Sup)),
    p(supervisor:terminate_child(Sup, a)),
    p(supervisor:terminate_child(Sup, zz)),
    p(supervisor:terminate_child(Sup, self())),
    p(restart_a),
    p(r(supervisor:restart_child(Sup, a))),
    events(1),
    p(r(supervisor:restart_child(Sup, a))),
    p(supervisor:delete_child(Sup, a)),
    p(delete_a),
    ok = supervisor:terminate_child(Sup, a),
    events(1),
    p(supervisor:delete_child(Sup, a)),
    p(supervisor:delete_child(Sup, a)),
    p(r(supervisor:restart_child(Sup, a))),
    p(supervisor:terminate_child(Sup, a)),
    p(children(Sup)),
    p(start_c),
    p(r(supervisor:start_child(Sup, spec(c)))),
    events(1),
    p(r(supervisor:start_child(Sup, spec(c)))),
    ok = supervisor:terminate_child(Sup, c),
    events(1),
    p(r(supervisor:start_child(Sup, spec(c)))),
    p(children(Sup)),
    p(bad_starts),
    p(r(supervisor:start_child(Sup, (spec(d))#{restart => sometimes}))),
    p(r(supervisor:start_child(Sup, not_a_spec))),
    %% OTP 25 gives its child record; Snow, the child spec with every key
    {error, {nope, {child, _, Id, _, Restart, _, Shutdown, Type, _}}} =
        supervisor:start_child(Sup, other(d, {error, nope}, permanent)),
    p({error, {nope, Id, Restart, Shutdown, Type}}),
    p(r(supervisor:start_child(Sup, other(d, ignore, temporary)))),
    p(r(supervisor:start_child(Sup, other(e, ignore, permanent)))),
    p(r(supervisor:start_child(Sup, other(f, ignore, transient)))),
    p(children(Sup)),
    p(counts(Sup)),
    p(r(supervisor:restart_child(Sup, e))),
    p(supervisor:delete_child(Sup, e)),
    p(children(Sup)),
    ok = gen_server:stop(Sup),
    events(1).
