-module(service_errors).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).
-import(snow_sem, [p/1, pf/2, fmt/1, where/1]).

init(_) -> {ok, 0}.

handle_call(get, _From, N) -> {reply, N, N};
handle_call({wait, Ms, Who}, From, N) ->
    spawn(fun() ->
        timer:sleep(Ms),
        gen_server:reply(From, too_late),
        Who ! replied
    end),
    {noreply, N + 1};
handle_call(hang, _From, N) -> {noreply, N}.

handle_cast(stop_now, N) -> {stop, normal, N}.

outcome(F) ->
    {_, Ref} = spawn_monitor(F),
    receive {'DOWN', Ref, _, _, Reason} -> Reason end.

start(Name) -> {ok, Pid} = gen_server:start({local, Name}, ?MODULE, [], []), Pid.

main() ->
    register(main, self()),
    _S = start(slow),

    {Caller, Ref} = spawn_monitor(fun() -> gen_server:call(slow, {wait, 100, main}, 50) end),
    receive {'DOWN', Ref, _, _, Reason} -> p(Reason) end,
    receive replied -> p(<<"the server replied after the timeout">>) end,
    p(is_process_alive(Caller)),
    p(gen_server:call(slow, get)),
    receive M -> p({stray, M})
    after 50 -> p(<<"no stray message">>)
    end,

    p(outcome(fun() -> gen_server:call(slow, {wait, 100, main}, 30) end)),
    receive replied -> ok end,
    p(outcome(fun() -> gen_server:call(slow, {wait, 100, main}, 20) end)),
    receive replied -> ok end,

    p(outcome(fun() -> gen_server:call(nobody, hello) end)),
    p(outcome(fun() -> gen_server:call(nobody, hello, 100) end)),
    p(outcome(fun() -> gen_server:call({nobody, node()}, hello) end)),
    p(outcome(fun() -> gen_server:call({nobody, 'elsewhere@nohost'}, hello) end)),
    {Gone, GRef} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', GRef, _, _, _} -> ok end,
    {R2, {M2, F2, Args}} = outcome(fun() -> gen_server:call(Gone, hello) end),
    p({R2, M2, F2, length(Args), hd(Args) == Gone}),

    _H = start(hang),
    spawn(fun() -> timer:sleep(20), gen_server:cast(hang, stop_now) end),
    p(outcome(fun() -> gen_server:call(hang, hang) end)),
    K = start(killed),
    spawn(fun() -> timer:sleep(20), exit(K, kill) end),
    p(outcome(fun() -> gen_server:call(killed, hang, infinity) end)),

    {R3, {M3, F3, _}} = outcome(fun() -> gen_server:call(self(), hello) end),
    p({R3, M3, F3}).
