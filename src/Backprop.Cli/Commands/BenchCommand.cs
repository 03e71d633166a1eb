using System.CommandLine;
using Backprop.Cli.Bench;
using Backprop.Data;
using Spectre.Console;
using TorchSharp;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop bench</c>: seconds per epoch of every way to train, in one run, and their ratios (the targets only with --check-targets).</summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole io)
    {
        var epochs = Options.Between("--epochs", 1, 10_000, "Timed epochs per mode, after one warm-up epoch [default: 10]", "-e");
        var json = Options.PathOption("--json", "Also write the figures as JSON to this file", "FILE");
        var samples = Options.Between("--samples", 50, 50_000, "Training samples per epoch [default: all 50,000]", "-n");
        var threads = Options.Between("--threads", 1, Options.MaxThreads, "torch intra-op threads on the CPU [default: 1, as train chooses for 784-50-10 at bs 50]", "-t");
        var batchSizes = new Option<int[]>("--batch-sizes")
        {
            Description = "Also time the final stage at these batch sizes [default: 50 and 4096 on CUDA, none on the CPU]",
            HelpName = "N",
            AllowMultipleArgumentsPerToken = true,
        };
        batchSizes.Validators.Add(r =>
        {
            var bad = r.GetValueOrDefault<int[]>()?.Where(bs => bs is < 1 or > Runs.TrainSettings.MaxBatchSize).ToArray() ?? [];
            if (bad.Length > 0) r.AddError($"--batch-sizes must be whole numbers from 1 to {Runs.TrainSettings.MaxBatchSize:N0}, got {string.Join(", ", bad)}");
        });
        var checkTargets = new Option<bool>("--check-targets") { Description = "Also print each ratio's target (docs/PERFORMANCE.md) and exit 1 when one is missed" };
        var sweep = new Option<bool>("--sweep") { Description = "Instead, time the final stage over bs 50 to 4096, nh 50 to 2000, on 1 and 2 threads, interleaved (a few minutes)" };
        var quick = new Option<bool>("--quick") { Description = "With --sweep: only the corners (bs 50 and 4096, nh 50 and 1000), one round (seconds)" };
        var plot = Options.PathOption("--plot", "With --sweep: also draw seconds per epoch and the multiple of the compute bound as a PNG to this file", "FILE");
        var device = Options.Device();
        var data = Options.Data();
        var kernels = CpuKernelsOption.Create();
        var command = new Command("bench", "Time raw, final, shuffled, torchsharp_loader and manual training (784-50-10, bs 50) in one run and report their ratios")
        {
            epochs, json, samples, threads, batchSizes, checkTargets, sweep, quick, plot, device, data, kernels,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(sweep))
            {
                foreach (var (o, name) in new (Option, string)[] { (epochs, "--epochs"), (samples, "--samples"), (threads, "--threads"), (batchSizes, "--batch-sizes") })
                    if (r.GetResult(o) is { Implicit: false }) r.AddError($"{name} does not apply to --sweep, which sets its own grid: leave {name} out");
                return;
            }
            if (r.GetValue(quick)) r.AddError("--quick belongs to --sweep: add --sweep, or leave --quick out");
            if (r.GetValue(plot) is not null) r.AddError("--plot belongs to --sweep: add --sweep, or leave --plot out");
        });
        command.SetAction(p =>
        {
            var path = p.GetValue(json);
            if (path is not null && !OutputFile.Check(io, path, "--json", OutputFile.Json, [])) return ExitCodes.Failed; // before the minutes of timing, not after
            if (p.GetValue(sweep)) return RunSweep(io, p.GetValue(quick), path, p.GetValue(plot), p.GetValue(device)!, p.GetValue(data)!);
            var dev = DeviceChoice.Resolve(p.GetValue(device)!);
            CpuThreads.Apply(p.GetValue(threads), dev);
            using var mnist = Mnist.Load(p.GetValue(data)!);
            var sizes = p.GetValue(batchSizes) is { Length: > 0 } given ? given : dev.type == DeviceType.CUDA ? [50, 4096] : [];
            var options = new BenchOptions(Epochs: p.GetValue(epochs) ?? 10, Samples: p.GetValue(samples));
            var report = EpochBench.Run(mnist, options, dev, sizes, line => io.Error.WriteLine(line));
            var check = p.GetValue(checkTargets);
            foreach (var line in report.Format(check)) io.Out.WriteLine(line);
            if (path is not null)
            {
                if (!OutputFile.Write(io, path, "--json", () => report.WriteJson(path))) return ExitCodes.Failed;
                io.Out.WriteLine($"wrote {path}");
            }
            if (!check || report.MeetsTargets) return ExitCodes.Ok;
            io.Error.WriteLine("error: a ratio missed its target (see docs/PERFORMANCE.md; a busy machine misses them too)");
            return ExitCodes.Failed;
        });
        return command;
    }

    private static int RunSweep(CliConsole io, bool quick, string? json, string? png, string device, string dataDir)
    {
        if (png is not null && !OutputFile.Check(io, png, "--plot", OutputFile.Png, json is null ? [] : [json])) return ExitCodes.Failed;
        if (device != "auto" && DeviceChoice.Resolve(device).type != DeviceType.CPU)
        {
            io.Error.WriteLine("error: --sweep measures CPU thread counts; leave --device out or give --device cpu");
            return ExitCodes.Usage;
        }
        using var mnist = Mnist.Load(dataDir);
        var report = Sweep.Run(mnist, quick ? SweepOptions.Quick : SweepOptions.Full, line => io.Error.WriteLine(line));
        foreach (var line in report.Format()) io.Out.WriteLine(line);
        if (json is not null)
        {
            if (!OutputFile.Write(io, json, "--json", () => AtomicFile.WriteText(json, report.ToJson() + "\n"))) return ExitCodes.Failed;
            io.Out.WriteLine($"wrote {json}");
        }
        if (png is not null)
        {
            if (!OutputFile.Write(io, png, "--plot", () => AtomicFile.Save(png, report.SavePlot))) return ExitCodes.Failed;
            io.Out.WriteLine($"wrote {png}");
        }
        return ExitCodes.Ok;
    }
}
