-module(service_stop).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).
-import(snow_sem, [p/1, pf/2, fmt/1, where/1]).

init({slow_end, _}) -> put(kind, slow_end), {ok, 0};
init({Tag, Trap}) ->
    put(kind, stopper),
    if Trap -> process_flag(trap_exit, true); true -> ok end,
    {ok, Tag}.

handle_call(stop, _From, S) -> {stop, normal, stopping, S};
handle_call(get, _From, S) -> {reply, S, S}.

handle_cast({stop, Reason}, S) -> {stop, Reason, S};
handle_cast({link_to, Pid}, S) -> link(Pid), {noreply, S}.

handle_info({'EXIT', _Pid, Reason}, S) ->
    pf("~s: handle_info exit ~s", [S, fmt(Reason)]),
    {noreply, S};
handle_info({stop, Reason}, S) -> {stop, Reason, S}.

terminate(Reason, S) ->
    case get(kind) of
        slow_end -> timer:sleep(200), p(<<"slow terminate done">>);
        stopper -> pf("~s: terminate ~s", [S, fmt(Reason)])
    end.

start(Tag, Trap) -> {ok, P} = gen_server:start(?MODULE, {Tag, Trap}, []), P.

watch(Pid) -> monitor(process, Pid).
down(Ref) -> receive {'DOWN', Ref, _, _, Reason} -> Reason end.
outcome(F) -> {_, Ref} = spawn_monitor(F), down(Ref).

parent_of(Trap, Tag, Main) ->
    {ok, S} = gen_server:start_link(?MODULE, {Tag, Trap}, []),
    Main ! {server, S},
    receive go -> exit(parent_quits) end.

main() ->
    A = start(<<"a">>, false),
    RA = watch(A),
    gen_server:cast(A, {stop, shutdown}),
    p(down(RA)),
    B = start(<<"b">>, false),
    RB = watch(B),
    B ! {stop, {shutdown, done}},
    p(down(RB)),
    C = start(<<"c">>, false),
    RC = watch(C),
    p(gen_server:call(C, stop)),
    p(down(RC)),

    D = start(<<"d">>, false),
    RD = watch(D),
    p(gen_server:stop(D, custom, infinity)),
    p(down(RD)),
    {ok, _E} = gen_server:start({local, e}, ?MODULE, {<<"e">>, false}, []),
    p(gen_server:stop(e)),
    p(where(e)),

    p(outcome(fun() -> gen_server:stop(nobody) end)),
    {Gone, RG} = spawn_monitor(fun() -> ok end),
    down(RG),
    p(outcome(fun() -> gen_server:stop(Gone) end)),
    {Reason0, {M0, F0, [Who | _]}} = outcome(fun() -> gen_server:stop(self()) end),
    p({Reason0, M0, F0, is_pid(Who)}),

    Me = self(),
    lists:foreach(fun({Trap, Tag}) ->
        P = spawn(fun() -> parent_of(Trap, Tag, Me) end),
        S = receive {server, S0} -> S0 end,
        RS = watch(S),
        P ! go,
        pf("~s: ~s", [Tag, fmt(down(RS))])
    end, [{true, <<"trapping">>}, {false, <<"not trapping">>}]),

    F = start(<<"f">>, true),
    RF = watch(F),
    Other = spawn(fun() -> receive go -> exit(other_reason) end end),
    gen_server:cast(F, {link_to, Other}),
    p(gen_server:call(F, get)),
    Other ! go,
    timer:sleep(20),
    p(gen_server:call(F, get)),
    p(gen_server:stop(F, normal, 1000)),
    p(down(RF)),

    G = start(slow_end, 0),
    RG2 = watch(G),
    p(outcome(fun() -> gen_server:stop(G, normal, 50) end)),
    p(down(RG2)).
