-module(sup_shutdown).
-export([main/0, init/1, start/2]).
-import(snow_sem, [p/1]).
-compile(nowarn_unused_function).

init(Children) -> {ok, {#{strategy => one_for_one, intensity => 10, period => 5}, Children}}.

%% Children that take their shutdown differently; each reports its pid to
%% Main so that Main can monitor it. A start returns once the child is
%% ready (trapping exits if it does).
start(Main, Kind) ->
    Starter = self(),
    Pid = spawn_link(fun() ->
        process_flag(trap_exit, Kind =/= plain),
        Starter ! {ready, self()},
        child(Main, Kind)
    end),
    receive {ready, Pid} -> ok end,
    Main ! {pid, Kind, Pid},
    {ok, Pid}.

%% plain: does not trap exits, so :shutdown ends it at once.
child(_Main, plain) -> receive never -> ok end;
%% stubborn: traps exits and ignores them: killed when its time is up.
child(Main, stubborn) -> stubborn(Main);
%% tidy: traps exits, tidies up for 100 ms, then ends with :shutdown.
child(Main, tidy) ->
    receive {'EXIT', _, R} ->
        Main ! {ev, {tidying, R}},
        timer:sleep(100),
        exit(R)
    end;
%% brutal: traps exits, but is killed without being asked.
child(Main, brutal) ->
    receive {'EXIT', _, R} -> Main ! {ev, {never, R}} end.

stubborn(Main) ->
    receive {'EXIT', _, R} ->
        Main ! {ev, {ignoring, R}},
        stubborn(Main)
    end.

spec(Kind, Shutdown) ->
    #{id => Kind, start => {?MODULE, start, [self(), Kind]}, shutdown => Shutdown}.

%% What Main sees, in order: the children's messages and their DOWNs.
watch(0) -> ok;
watch(N) ->
    receive
        {ev, E} -> p(E), watch(N);
        {'DOWN', _, _, _, R} -> p({down, R}), watch(N - 1)
    end.

pids(0, Acc) -> Acc;
pids(N, Acc) -> receive {pid, K, P} -> pids(N - 1, [{K, P} | Acc]) end.

main() ->
    {ok, Sup} = supervisor:start_link(?MODULE, [spec(plain, 1000), spec(stubborn, 200),
                                                spec(brutal, brutal_kill), spec(tidy, infinity)]),
    Pids = pids(4, []),
    [monitor(process, P) || {_, P} <- lists:reverse(Pids)],
    p(terminate_stubborn),
    T0 = erlang:monotonic_time(millisecond),
    p(supervisor:terminate_child(Sup, stubborn)),
    p(erlang:monotonic_time(millisecond) - T0 >= 200),
    watch(1),
    p(stop),
    ok = gen_server:stop(Sup),
    watch(3).
