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
        var threads = Options.Between("--threads", 1, Options.MaxThreads, "torch intra-op threads on the CPU [default: 1, as train uses]", "-t");
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
        var device = Options.Device();
        var data = Options.Data();
        var command = new Command("bench", "Time raw, final, shuffled, torchsharp_loader and manual training (784-50-10, bs 50) in one run and report their ratios")
        {
            epochs, json, samples, threads, batchSizes, checkTargets, device, data,
        };
        command.SetAction(p =>
        {
            var path = p.GetValue(json);
            if (path is not null && !OutputFile.Check(io, path, "--json", OutputFile.Json, [])) return ExitCodes.Failed; // before the minutes of timing, not after
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
}
