-module(sup_failed_start).
-export([main/0, init/1, start_worker/2, start_other/1]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init({Flags, Children}) -> {ok, {Flags, Children}};
init(Children) -> {ok, {#{strategy => one_for_one}, Children}}.

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

other(Id, Answer) -> #{id => Id, start => {?MODULE, start_other, [Answer]}}.

%% The exit signal that follows a failed start (Main traps exits).
exit_signal() ->
    receive {'EXIT', _, R} -> p({exit, R}) after 1000 -> p(no_exit_signal) end.

tag({error, {T, _}}) -> {error, T};
tag(Other) -> Other.

main() ->
    process_flag(trap_exit, true),
    p(b_fails),
    p(supervisor:start_link(?MODULE, [spec(a), other(b, {error, nope}), spec(c)])),
    events(2),
    exit_signal(),
    p(b_returns_garbage),
    p(supervisor:start_link(?MODULE, [spec(a), other(b, what)])),
    events(2),
    exit_signal(),
    p(b_ignores),
    {ok, Sup} = supervisor:start_link(?MODULE, [spec(a), other(b, ignore), spec(c)]),
    events(2),
    p(children(Sup)),
    ok = gen_server:stop(Sup),
    events(2),
    receive {'EXIT', Sup, normal} -> ok end,
    p(bad_specs),
    [begin p(supervisor:start_link(?MODULE, Specs)), exit_signal() end
     || Specs <- [[spec(a), spec(a)],
                  [(spec(a))#{restart => sometimes}],
                  [(spec(a))#{shutdown => -1}],
                  [(spec(a))#{type => boss}],
                  [maps:remove(id, spec(a))],
                  [maps:remove(start, spec(a))],
                  [not_a_spec]]],
    p(bad_strategy),
    p(supervisor:start_link(?MODULE, {#{strategy => bogus}, []})),
    exit_signal(),
    p(two_specs_for_simple_one_for_one),
    p(tag(supervisor:start_link(?MODULE, {#{strategy => simple_one_for_one}, [spec(a), spec(b)]}))),
    receive {'EXIT', _, {bad_start_spec, _}} -> p(exit_bad_start_spec) end,
    p(caller_not_trapping),
    Self = self(),
    {_, Ref} = spawn_monitor(fun() ->
        R = supervisor:start_link(?MODULE, [other(b, {error, nope})]),
        Self ! {survived, R}
    end),
    receive
        {'DOWN', Ref, _, _, Why} -> p({caller_down, Why});
        {survived, R} -> p({caller_survived, R})
    end,
    p(name_taken),
    {ok, Named} = supervisor:start_link({local, taken}, ?MODULE, []),
    p(tag(supervisor:start_link({local, taken}, ?MODULE, []))),
    receive {'EXIT', _, normal} -> p(exit_normal) after 1000 -> p(no_exit_signal) end,
    ok = gen_server:stop(Named).
