// @attach
// @attach uprobe: -> 
// @attach uprobe:/bin/ls:main ->
// @attach -> f
// @attach tracepoint:a:b:c:d -> f
// @attach perf_event:software:cpu-clock:freq= -> f
// @attach perf_event:software:cpu-clock:freq=99999999999999999999999 -> f
int f(void *ctx) { return 0; }
