#!/usr/bin/env python3
"""Reads `perf script` output of the API (cpu-clock samples with call graphs, JIT-compiled frames named
through the runtime's perf map) and prints where its CPU went: per thread kind, per observability pillar
(the innermost frame that belongs to one), and the frames that cost the most in each pillar.
Used by bench/observability.sh with BENCH_PERF=1. Unlike the dotnet-trace thread-time profile, every sample
here was on a CPU, and native work (the GC, the JIT, the kernel's socket calls) is counted."""
import collections
import re
import sys

# "instance void [Sentry] Sentry.TransactionTracer::Finish()[OptimizedTier1]+0x12 (/tmp/perf-1.map)"
MANAGED = re.compile(r'\[(?P<module>[A-Za-z0-9_.]+)\] (?P<name>[^ (]+?)::(?P<method>[^(]+)\(')

# Frames that only pass a request along: the work is attributed to what they call.
PASS_THROUGH = ('SentryTransactionMiddleware', 'HttpMetricsMiddleware+<InvokeAsync>', 'RequestLogMiddleware+<InvokeAsync>',
                'RequestIdMiddleware+<InvokeAsync>', 'HttpServerErrorTypeStartupFilter')


def pillar(module, name):
    if any(p in name for p in PASS_THROUGH):
        return None
    if module.startswith('Sentry') or name.startswith('Sentry') or '.ErrorTracking.' in name:
        return 'Sentry'
    if module.startswith('OpenTelemetry') or name.startswith('OpenTelemetry'):
        return 'OpenTelemetry (SDK, exporters)'
    if (module.startswith('Microsoft.Extensions.Logging') or '.Logging.' in name or module == 'Microsoft.Extensions.Telemetry'
            or module == 'Microsoft.Extensions.Compliance.Abstractions'):
        return 'logging'
    if '.Metrics.' in name or name.startswith('System.Diagnostics.Metrics'):
        return 'metrics'
    if 'HostingApplicationDiagnostics' in name or name.startswith('System.Diagnostics.Activity') or 'DiagnosticListener' in name:
        return 'activities (tracing)'
    if '.RequestIds.' in name:
        return 'request ids'
    return None


def parse(stream):
    """Yields (thread name, frames innermost first) per sample."""
    thread, frames = None, []
    for line in stream:
        line = line.rstrip('\n')
        if not line.strip():
            if thread is not None:
                yield thread, frames
            thread, frames = None, []
        elif not line.startswith((' ', '\t')):
            # "comm tid time: period event:"; the thread's name may contain spaces (".NET TP Worker").
            m = re.match(r'^(.*?)\s+\d+\s+\d+\.\d+:', line)
            thread = (m.group(1) if m else line.split(' ', 1)[0]).strip()
        else:
            frames.append(line.strip())
    if thread is not None:
        yield thread, frames


def thread_kind(thread):
    if 'GC' in thread:
        return 'GC threads'
    if thread.startswith('.NET Tiered') or 'JIT' in thread:
        return 'tiered compilation'
    if thread.startswith('.NET TP') or thread.startswith('.NET Long') or thread.startswith('.NET Sockets'):
        return 'thread pool, sockets'
    return thread


def short(frame):
    m = MANAGED.search(frame)
    if m:
        return f"{m.group('name')}::{m.group('method')}"[:140]
    parts = frame.split(' ', 1)
    return parts[1][:140] if len(parts) > 1 else frame[:140]


def main(path):
    kinds, pillars = collections.Counter(), collections.Counter()
    by_pillar = collections.defaultdict(collections.Counter)
    total = 0
    with open(path, errors='replace') as stream:
        for thread, frames in parse(stream):
            total += 1
            kinds[thread_kind(thread)] += 1
            if any('libclrjit' in f for f in frames):
                owner, where = 'JIT compilation', 'libclrjit'
            elif 'GC' in thread:
                owner, where = 'GC (its own threads)', thread
            else:
                owner, where = None, None
                for f in frames:
                    m = MANAGED.search(f)
                    if not m:
                        continue
                    p = pillar(m.group('module'), m.group('name'))
                    if p:
                        owner, where = p, short(f)
                        break
                if owner is None:
                    leaf_managed = next((short(f) for f in frames if MANAGED.search(f)), None)
                    owner = 'application, ASP.NET Core, Kestrel, runtime'
                    where = leaf_managed or (short(frames[0]) if frames else '?')
            pillars[owner] += 1
            by_pillar[owner][where] += 1
    if total == 0:
        print('no samples')
        return
    print(f'CPU samples: {total} (perf cpu-clock; every sample was on a CPU)')
    print('\nBy thread:')
    for name, n in kinds.most_common(8):
        print(f'  {n / total * 100:5.1f}%  {name}')
    print('\nShare per pillar (innermost managed frame that belongs to one; JIT and GC threads apart):')
    for name, n in pillars.most_common():
        print(f'  {n / total * 100:5.1f}%  {name}')
    for name, _ in pillars.most_common():
        print(f'\n{name}: frames (innermost of the pillar, or leaf managed frame)')
        for where, n in by_pillar[name].most_common(12):
            print(f'  {n / total * 100:5.1f}%  {where}')


if __name__ == '__main__':
    main(sys.argv[1])
