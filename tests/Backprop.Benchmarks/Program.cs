using BenchmarkDotNet.Running;

// Pick the benchmarks with --filter, e.g. `--filter '*Gzip*'`; see BenchmarkDotNet's command line.
BenchmarkSwitcher.FromAssembly(typeof(Backprop.Benchmarks.GzipBenchmarks).Assembly).Run(args);
