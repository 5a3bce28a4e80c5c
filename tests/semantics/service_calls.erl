-module(service_calls).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).
-import(snow_sem, [p/1, pf/2, fmt/1, where/1]).

%% One callback module for every kind of server of the scenario: the kind
%% is kept in the process dictionary, the state is the Snow side's state.
init({Kind, Arg}) -> put(kind, Kind), init(Kind, Arg).
handle_call(Req, From, S) -> handle_call(get(kind), Req, From, S).
handle_cast(Req, S) -> handle_cast(get(kind), Req, S).
handle_info(Msg, S) -> handle_info(get(kind), Msg, S).
terminate(Reason, S) -> terminate(get(kind), Reason, S).

init(counter, N) -> {ok, N};
init(refuser, _) -> {stop, no_thanks};
init(ignorer, _) -> ignore;
init(crasher, X) -> {ok, 1 / X};
init(named, _) -> {stop, no}.

handle_call(counter, get, _From, N) -> {reply, N, N};
handle_call(counter, {add, K}, _From, N) -> {reply, N + K, N + K};
handle_call(counter, later, From, N) -> {noreply, {N, From}}.

handle_cast(counter, reset, _N) -> {noreply, 0};
handle_cast(counter, {answer, V}, {N, From}) ->
    gen_server:reply(From, V),
    {noreply, N}.

handle_info(counter, M, N) ->
    pf("handle_info ~s with state ~s", [fmt(M), fmt(N)]),
    {noreply, N}.

terminate(counter, Reason, N) ->
    pf("terminate ~s with state ~s", [fmt(Reason), fmt(N)]).

start(Kind, Arg) -> unwrap(gen_server:start(?MODULE, {Kind, Arg}, [])).
start(Kind, Arg, Name) -> unwrap(gen_server:start({local, Name}, ?MODULE, {Kind, Arg}, [])).
unwrap({ok, Pid}) -> Pid;
unwrap(Other) -> Other.

main() ->
    C = start(counter, 5),
    p(is_pid(C)),
    p(gen_server:call(C, get)),
    p(gen_server:call(C, {add, 3})),
    p(gen_server:cast(C, reset)),
    p(gen_server:call(C, get)),
    p(gen_server:call(C, {add, 2}, 1000)),
    p(gen_server:call(C, {add, 2}, infinity)),
    p(gen_server:call(C, {add, 2}, 1000)),

    Me = self(),
    spawn(fun() -> Me ! {late_reply, gen_server:call(C, later)} end),
    timer:sleep(20),
    gen_server:cast(C, {answer, 42}),
    receive M -> p(M) end,

    C ! hello,
    p(gen_server:call(C, get)),

    Named = start(counter, 1, counter),
    p(where(counter) == Named),
    p(gen_server:call(counter, get)),
    p(gen_server:call({counter, node()}, {add, 1})),
    gen_server:cast({counter, node()}, reset),
    p(gen_server:call(counter, get)),
    case start(counter, 1, counter) of
        {error, {already_started, Pid}} -> p({already_started, Pid == Named});
        Other -> p({unexpected, Other})
    end,
    p(gen_server:cast(nobody, reset)),
    p(gen_server:cast({nobody, node()}, reset)),

    p(start(refuser, 0)),
    p(start(ignorer, 0)),
    p(start(crasher, 0)),
    p(start(named, 0, refused)),
    p(where(refused)),

    p(gen_server:stop(C)),
    p(is_process_alive(C)),
    p(gen_server:stop(counter, shutdown, 1000)),
    p(where(counter)).
