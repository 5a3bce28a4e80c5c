-module(job_await).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

%% Elixir's Task (async, await, yield, shutdown), written in Erlang, with
%% 'Job' for the module in exit reasons.
async(F) ->
    Owner = self(),
    Pid = spawn_link(fun() -> receive {Owner, Ref} -> Owner ! {Ref, F()} end end),
    Ref = monitor(process, Pid),
    Pid ! {Owner, Ref},
    #{pid => Pid, ref => Ref, owner => Owner}.

owner_only(#{owner := Owner} = Task) ->
    case Owner == self() of
        true -> ok;
        false -> error({not_the_owner, Task})
    end.

await(Task) -> await(Task, 5000).
await(#{ref := Ref} = Task, Timeout) ->
    owner_only(Task),
    receive
        {Ref, Reply} -> demonitor(Ref, [flush]), Reply;
        {'DOWN', Ref, _, Proc, Reason} -> exit({reason(Reason, Proc), {'Job', await, [Task, Timeout]}})
    after Timeout ->
        demonitor(Ref, [flush]),
        exit({timeout, {'Job', await, [Task, Timeout]}})
    end.

yield(Task) -> yield(Task, 5000).
yield(#{ref := Ref} = Task, Timeout) ->
    owner_only(Task),
    receive
        {Ref, Reply} -> demonitor(Ref, [flush]), {ok, Reply};
        {'DOWN', Ref, _, Proc, noconnection} -> exit({reason(noconnection, Proc), {'Job', yield, [Task, Timeout]}});
        {'DOWN', Ref, _, _, Reason} -> {exit, Reason}
    after Timeout -> nil
    end.

map(L, F) -> map(L, F, 5000).
map(L, F, Timeout) ->
    Tasks = [async(fun() -> F(X) end) || X <- L],
    [await(T, Timeout) || T <- Tasks].

shutdown(Task) -> shutdown(Task, 5000).
shutdown(#{pid := Pid} = Task, brutal_kill) ->
    owner_only(Task),
    Mon = monitor(process, Pid),
    stop(Pid, kill),
    case shutdown_receive(Task, Mon, brutal_kill, infinity) of
        {down, Proc, noconnection} -> exit({reason(noconnection, Proc), {'Job', shutdown, [Task, brutal_kill]}});
        {down, _, Reason} -> {exit, Reason};
        Result -> Result
    end;
shutdown(#{pid := Pid} = Task, Timeout) ->
    owner_only(Task),
    Mon = monitor(process, Pid),
    stop(Pid, shutdown),
    case shutdown_receive(Task, Mon, shutdown, Timeout) of
        {down, Proc, noconnection} -> exit({reason(noconnection, Proc), {'Job', shutdown, [Task, Timeout]}});
        {down, _, Reason} -> {exit, Reason};
        Result -> Result
    end.

stop(Pid, Reason) ->
    Caller = self(),
    Ref = make_ref(),
    Enforcer = spawn(fun() -> enforce(Pid, Reason, Caller, Ref) end),
    unlink(Pid),
    exit(Pid, Reason),
    Enforcer ! {done, Ref},
    ok.

enforce(Pid, Reason, Caller, Ref) ->
    Mon = monitor(process, Caller),
    receive
        {done, Ref} -> ok;
        {'DOWN', Mon, _, _, _} -> exit(Pid, Reason)
    end.

shutdown_receive(#{ref := Ref, pid := Pid} = Task, Mon, Type, Timeout) ->
    receive
        {'DOWN', Mon, _, _, shutdown} when Type == shutdown; Type == timeout_kill ->
            demonitor(Ref, [flush]),
            flush_reply(Ref);
        {'DOWN', Mon, _, _, killed} when Type == brutal_kill ->
            demonitor(Ref, [flush]),
            flush_reply(Ref);
        {'DOWN', Mon, _, Proc, noproc} ->
            Reason = flush_noproc(Ref, Proc, Type),
            case flush_reply(Ref) of nil -> Reason; R -> R end;
        {'DOWN', Mon, _, Proc, Reason} ->
            demonitor(Ref, [flush]),
            case flush_reply(Ref) of nil -> {down, Proc, Reason}; R -> R end
    after Timeout ->
        exit(Pid, kill),
        shutdown_receive(Task, Mon, timeout_kill, infinity)
    end.

flush_reply(Ref) ->
    receive {Ref, Reply} -> {ok, Reply}
    after 0 -> nil
    end.

flush_noproc(Ref, Proc, Type) ->
    receive
        {'DOWN', Ref, _, _, shutdown} when Type == shutdown; Type == timeout_kill -> nil;
        {'DOWN', Ref, _, _, killed} when Type == brutal_kill -> nil;
        {'DOWN', Ref, _, _, Reason} -> {down, Proc, Reason}
    after 0 ->
        demonitor(Ref, [flush]),
        {down, Proc, noproc}
    end.

reason(noconnection, Proc) when is_pid(Proc) -> {nodedown, node(Proc)};
reason(noconnection, {_, Node}) -> {nodedown, Node};
reason(Reason, _) -> Reason.

reason_of(F) ->
    {_, Ref} = spawn_monitor(F),
    receive {'DOWN', Ref, _, _, Reason} -> Reason end.

main() ->
    p(await(async(fun() -> 6 * 7 end))),
    J = async(fun() -> done end),
    p(await(J, 1000)),
    p(map([3, 1, 2], fun(X) -> timer:sleep(X * 10), X * X end)),
    p(map([], fun(X) -> X end)),

    Slow = async(fun() -> timer:sleep(100), slow_result end),
    p(yield(Slow, 10)),
    p(yield(Slow, 1000)),
    p(yield(async(fun() -> exit(normal) end))),

    p(reason_of(fun() -> await(async(fun() -> exit(boom) end)) end)),
    Me = self(),
    {Reason, {M, F, [Job, Timeout]}} = reason_of(fun() ->
        process_flag(trap_exit, true),
        Job0 = async(fun() -> exit(boom) end),
        receive {'EXIT', Pid, R} -> Me ! {caller_got, Pid == maps:get(pid, Job0), R} end,
        await(Job0)
    end),
    p({Reason, M, F, is_map(Job), Timeout}),
    receive Msg -> p(Msg) end,

    {_, RC} = spawn_monitor(fun() ->
        Job1 = async(fun() -> timer:sleep(1000) end),
        Me ! {job, maps:get(pid, Job1)},
        await(Job1, 20)
    end),
    RJ = receive {job, P1} -> monitor(process, P1) end,
    receive {'DOWN', RC, _, _, {Reason2, {M2, F2, [_, Timeout2]}}} -> p({Reason2, M2, F2, Timeout2}) end,
    receive {'DOWN', RJ, _, _, {Reason5, _}} -> p({job_ended, Reason5}) end,
    {Reason3, {M3, F3, [_, Timeout3]}} = reason_of(fun() -> map([1, 200], fun(X) -> timer:sleep(X) end, 50) end),
    p({Reason3, M3, F3, Timeout3}),

    Orphan = async(fun() -> mine end),
    {Kind, _} = reason_of(fun() -> await(Orphan) end),
    p(case Kind of {not_the_owner, _} -> error; _ -> Kind end),
    p(await(Orphan)),

    Long = async(fun() -> timer:sleep(1000) end),
    RL = monitor(process, maps:get(pid, Long)),
    p(shutdown(Long)),
    receive {'DOWN', RL, _, _, R4} -> p(R4) end,
    Quick = async(fun() -> quick end),
    timer:sleep(20),
    p(shutdown(Quick)),
    p(shutdown(async(fun() -> timer:sleep(1000) end), brutal_kill)),
    Stubborn = async(fun() -> process_flag(trap_exit, true), timer:sleep(1000) end),
    timer:sleep(10),
    p(shutdown(Stubborn, 30)),
    p(process_info(self(), links)).
