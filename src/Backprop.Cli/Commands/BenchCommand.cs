using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Bench;
using Backprop.Cli.Charts;
using Backprop.Cli.Runs;
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
        var checkTargets = new Option<bool>("--check-targets") { Description = $"Also print each ratio's target (docs/PERFORMANCE.md) and exit 1 when a ratio's whole {RatioSpread.Level * 100:F0}% interval misses it (needs --epochs {RatioSpread.MinRounds} or more)" };
        var sweep = new Option<bool>("--sweep") { Description = "Instead, time the final stage over bs 50 to 4096, nh 50 to 2000, on 1 and 2 threads, interleaved (a few minutes)" };
        var quick = new Option<bool>("--quick") { Description = "With --sweep: only the corners (bs 50 and 4096, nh 50 and 1000), one round (seconds)" };
        var plot = Options.PathOption("--plot", "With --sweep: also draw seconds per epoch and the multiple of the compute bound as a PNG to this file", "FILE");
        var from = Options.PathOption("--from", "With --sweep: measure nothing; print and --plot the sweep that --json wrote to this file", "FILE");
        var device = Options.Device();
        var data = Options.Data();
        var kernels = CpuKernelsOption.Create();
        var command = new Command("bench", "Time raw, final, shuffled, torchsharp_loader and manual training (784-50-10, bs 50) in one run and report their ratios")
        {
            epochs, json, samples, threads, batchSizes, checkTargets, sweep, quick, plot, from, device, data, kernels,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(sweep))
            {
                foreach (var (o, name) in new (Option, string)[] { (epochs, "--epochs"), (samples, "--samples"), (threads, "--threads"), (batchSizes, "--batch-sizes"), (checkTargets, "--check-targets") })
                    if (r.GetResult(o) is { Implicit: false }) r.AddError($"{name} does not apply to --sweep, which sets its own grid: leave {name} out");
                if (r.GetValue(from) is not null)
                    foreach (var (o, name) in new (Option, string)[] { (quick, "--quick"), (json, "--json") })
                        if (r.GetResult(o) is { Implicit: false }) r.AddError($"{name} does not apply to --from, which measures nothing: leave {name} out");
                return;
            }
            if (r.GetValue(checkTargets) && r.GetValue(epochs) is < RatioSpread.MinRounds)
                r.AddError($"--check-targets needs --epochs {RatioSpread.MinRounds} or more: the fewest interleaved rounds that give each ratio a {RatioSpread.Level * 100:F0}% interval");
            if (r.GetValue(quick)) r.AddError("--quick belongs to --sweep: add --sweep, or leave --quick out");
            if (r.GetValue(plot) is not null) r.AddError("--plot belongs to --sweep: add --sweep, or leave --plot out");
            if (r.GetValue(from) is not null) r.AddError("--from belongs to --sweep: add --sweep, or leave --from out");
        });
        command.SetAction(p =>
        {
            var path = p.GetValue(json);
            if (path is not null && !OutputFile.Check(io, path, "--json", OutputFile.Json, [])) return ExitCodes.Failed; // before the minutes of timing, not after
            if (p.GetValue(sweep)) return RunSweep(io, p.GetValue(quick), path, p.GetValue(plot), p.GetValue(from), p.GetValue(device)!, p.GetValue(data)!);
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
                io.Out.WriteLine($"wrote {Shown.Path(path)}");
            }
            if (!check) return ExitCodes.Ok;
            foreach (var (name, limit, atMost, spread, verdict) in report.Checks.Where(c => c.Verdict != Verdict.Met))
            {
                var interval = string.Create(CultureInfo.InvariantCulture, $"{spread.Confidence * 100:F0}% interval, {spread.Low:F3} to {spread.High:F3},");
                io.Error.WriteLine(verdict == Verdict.Missed
                    ? string.Create(CultureInfo.InvariantCulture, $"error: {name} missed its target: its whole {interval} is {(atMost ? "above" : "below")} {limit:F2} (docs/PERFORMANCE.md)")
                    : string.Create(CultureInfo.InvariantCulture, $"warning: {name} is not decided: its {interval} holds its target {limit:F2}; a quieter machine or more --epochs narrows it"));
            }
            return report.MeetsTargets ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static int RunSweep(CliConsole io, bool quick, string? json, string? png, string? from, string device, string dataDir)
    {
        if (png is not null && !OutputFile.Check(io, png, "--plot", OutputFile.Png, [.. new[] { json, from }.OfType<string>()])) return ExitCodes.Failed;
        if (from is not null)
        {
            try
            {
                return Report(io, SweepReport.Load(from), null, png);
            }
            catch (DataFileException e) // not MNIST: the runner's advice about --data would mislead
            {
                io.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        }
        if (device != "auto" && DeviceChoice.Resolve(device).type != DeviceType.CPU)
        {
            io.Error.WriteLine("error: --sweep measures CPU thread counts; leave --device out or give --device cpu");
            return ExitCodes.Usage;
        }
        using var mnist = Mnist.Load(dataDir);
        return Report(io, Sweep.Run(mnist, quick ? SweepOptions.Quick : SweepOptions.Full, line => io.Error.WriteLine(line)), json, png);
    }

    private static int Report(CliConsole io, SweepReport report, string? json, string? png)
    {
        foreach (var line in report.Format()) io.Out.WriteLine(line);
        if (json is not null)
        {
            if (!OutputFile.Write(io, json, "--json", () => AtomicFile.WriteText(json, report.ToJson() + "\n"))) return ExitCodes.Failed;
            io.Out.WriteLine($"wrote {Shown.Path(json)}");
        }
        if (png is not null)
        {
            if (!OutputFile.Write(io, png, "--plot", () => AtomicFile.Save(png, report.SavePlot))) return ExitCodes.Failed;
            io.Out.WriteLine($"wrote {Shown.Path(png)}");
            if (Figure.TextProblem is { } noText) io.Error.WriteLine($"warning: {noText}");
        }
        return ExitCodes.Ok;
    }
}
