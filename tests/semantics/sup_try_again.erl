-module(sup_try_again).
-export([main/0, init/1, start_worker/2, start_gated/3]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init({Strategy, Max, Children}) -> {ok, {#{strategy => Strategy, intensity => Max, period => 5}, Children}}.

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

%% The gate answers each start attempt from its script: ok or fail.
gate(Main, [A | As]) ->
    receive {ask, From} ->
        Main ! {ev, {attempt, A}},
        From ! {answer, A},
        gate(Main, As)
    end.

start_gated(Main, Gate, Id) ->
    Gate ! {ask, self()},
    receive
        {answer, ok} -> start_worker(Main, Id);
        {answer, fail} -> {error, refused}
    end.

gated(Gate, Id) -> #{id => Id, start => {?MODULE, start_gated, [self(), Gate, Id]}}.

gate(Script) ->
    Main = self(),
    spawn_link(fun() -> gate(Main, Script) end).

main() ->
    process_flag(trap_exit, true),
    p(one_for_one),
    G1 = gate([ok, fail, fail, ok, fail, fail, fail]),
    {ok, Sup} = supervisor:start_link(?MODULE, {one_for_one, 5, [spec(a), gated(G1, g)]}),
    events(3),
    p(crash_g),
    ends(Sup, g, boom),
    events(4),
    p(children(Sup)),
    p(crash_g),
    pid_of(Sup, g) ! {exit_with, boom},
    events(3),
    receive {'EXIT', Sup, R} -> p({exit, R}) end,
    p(one_for_all),
    G2 = gate([ok, fail, ok]),
    {ok, Sup2} = supervisor:start_link(?MODULE, {one_for_all, 5, [spec(a), gated(G2, g), spec(c)]}),
    events(4),
    p(crash_a),
    ends(Sup2, a, boom),
    events(9),
    p(children(Sup2)),
    ok = gen_server:stop(Sup2),
    events(3).
