-module(service_start).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).
-import(snow_sem, [p/1, pf/2, fmt/1, where/1]).

init({stop, Reason}) -> {stop, Reason};
init(ignore) -> ignore;
init(crash) -> {ok, 1 / zero()};
init({sleep, Ms}) -> timer:sleep(Ms), {ok, Ms};
init({exit, Reason}) -> exit(Reason);
init(X) -> {ok, X}.

zero() -> 0.

handle_call(get, _From, S) -> {reply, S, S}.
handle_cast(_, S) -> {noreply, S}.

unwrap({ok, Pid}) -> Pid;
unwrap(Other) -> Other.

start_link(Arg) -> unwrap(gen_server:start_link(?MODULE, Arg, [])).
start_link(Arg, Opts) -> unwrap(gen_server:start_link(?MODULE, Arg, Opts)).
start(Arg, Opts) -> unwrap(gen_server:start(?MODULE, Arg, Opts)).

exits() ->
    receive {'EXIT', _Pid, Reason} -> [Reason | exits()]
    after 50 -> []
    end.

reason_of(F) ->
    {_, Ref} = spawn_monitor(F),
    receive {'DOWN', Ref, _, _, Reason} -> Reason end.

main() ->
    process_flag(trap_exit, true),
    S = start_link(7),
    p(gen_server:call(S, get)),
    p(process_info(self(), links) == {links, [S]}),
    p(start_link({stop, no_thanks})),
    p(exits()),
    p(start_link({stop, normal})),
    p(exits()),
    p(start_link(ignore)),
    p(exits()),
    p(start_link(crash)),
    p(exits()),
    p(start_link({exit, init_gave_up})),
    p(exits()),

    p(start_link({sleep, 500}, [{timeout, 50}])),
    p(exits()),
    p(start({sleep, 500}, [{timeout, 50}])),
    p(gen_server:call(start({sleep, 10}, [{timeout, 1000}]), get)),

    p(reason_of(fun() -> start_link({stop, no_thanks}), timer:sleep(100) end)),
    p(reason_of(fun() -> start_link(crash) end)),
    p(reason_of(fun() -> start(crash, []) end)).
