#!/usr/bin/env python3
"""Reads a dotnet-trace thread-time profile converted to speedscope JSON and prints where the CPU went:
the share per observability pillar (by the innermost frame that belongs to one), the hottest frames, and the
callers of lock contention and GC suspension. Used by bench/observability.sh with BENCH_PROFILE=1."""
import collections
import json
import sys

# Frames that only pass a request along: the work is attributed to what they call.
PASS_THROUGH = ('SentryTransactionMiddleware+<InvokeAsync>', 'HttpMetricsMiddleware+<InvokeAsync>', 'RequestLogMiddleware+<InvokeAsync>',
                'RequestIdMiddleware+<InvokeAsync>', 'SentryMiddleware+<InvokeAsync>', 'SentryTracingMiddleware+<InvokeAsync>',
                'InvokeAsync(class Microsoft.AspNetCore.Http.HttpContext', 'HttpServerErrorTypeStartupFilter', 'UseMiddlewareExtensions')


def pillar(frame):
    module, _, name = frame.partition('!')
    if any(p in frame for p in PASS_THROUGH):
        return None
    if 'PollGC' in frame:
        return 'GC suspension (allocation)'
    if module.startswith('Sentry') or name.startswith('Sentry'):
        return 'Sentry'
    if module.startswith('OpenTelemetry'):
        return 'OpenTelemetry export'
    if ('Logging' in module or 'JsonLogFormatter' in name or 'JsonConsoleLogger' in name or 'RequestLog' in name
            or module == 'Microsoft.Extensions.Telemetry'):
        return 'logging'
    if 'Blog.ServiceDefaults.Metrics' in name or 'System.Diagnostics.Metrics' in name:
        return 'metrics'
    if 'HostingApplicationDiagnostics' in name or 'System.Diagnostics.Activity' in name or 'DiagnosticListener' in name:
        return 'activities (tracing)'
    if 'RequestIdMiddleware' in name:
        return 'request ids'
    return None


def samples(profile_file):
    data = json.load(open(profile_file))
    frames = [f['name'] for f in data['shared']['frames']]
    for profile in data['profiles']:
        stack, last = [], None
        for event in profile['events']:
            at = event['at']
            if last is not None and stack and frames[stack[-1]] == 'CPU_TIME':
                yield at - last, [frames[i] for i in stack[:-1]]
            last = at
            if event['type'] == 'O':
                stack.append(event['frame'])
            elif stack:
                stack.pop()


def short(frame):
    return frame.partition('!')[2][:120] or frame[:120]


def main(profile_file):
    pillars, leaves, contention, gc = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
    total = 0.0
    for weight, stack in samples(profile_file):
        total += weight
        owner = next((p for p in map(pillar, reversed(stack)) if p), 'application, ASP.NET Core, Kestrel')
        pillars[owner] += weight
        if stack:
            leaves[short(stack[-1])] += weight
            if 'Enter_Slowpath' in stack[-1] or 'LowLevelSpinWaiter' in stack[-1]:
                contention[' <- '.join(short(f) for f in stack[-4:-1][::-1])] += weight
            if 'PollGC' in stack[-1]:
                gc[' <- '.join(short(f) for f in stack[-4:-1][::-1])] += weight
    if total == 0:
        print('no CPU samples')
        return
    print(f'CPU time sampled: {total / 1000:.1f} s (thread-time samples whose thread was on a CPU)')
    print('\nShare per pillar (innermost frame that belongs to one):')
    for name, weight in pillars.most_common():
        print(f'  {weight / total * 100:5.1f}%  {name}')
    print('\nHottest frames (exclusive):')
    for name, weight in leaves.most_common(15):
        print(f'  {weight / total * 100:5.1f}%  {name}')
    print('\nLock contention, by caller:')
    for name, weight in contention.most_common(8):
        print(f'  {weight / total * 100:5.1f}%  {name}')
    print('\nWhere garbage collections stopped request threads (their cost comes from allocations):')
    for name, weight in gc.most_common(8):
        print(f'  {weight / total * 100:5.1f}%  {name}')


if __name__ == '__main__':
    main(sys.argv[1])
