using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;

namespace Backprop.Cli.Display;

/// <summary>The lines that open a run and the summary that closes it.</summary>
internal static class Summary
{
    public static IEnumerable<string> Describe(TrainStart s)
    {
        var t = s.Settings;
        var loss = t.Loss == LossKind.Mse ? "MSE" : "cross-entropy";
        yield return $"{t.Hidden.Architecture}, {loss}, {TrainOverrides.Name(t.Gradients)} gradients, SGD lr {TrainOverrides.Name(t.LearningRate)}, bs {t.BatchSize}, seed {t.Seed}, on {s.Device}";
        yield return $"data: {Shown.Path(s.DataSource)}";
        if (s.Kernels.Length > 0) yield return $"CPU kernels: {s.Kernels}";
        yield return $"run folder: {Shown.Path(s.Folder.Path)}" + (s.FirstEpoch > 1 ? $" (resuming after epoch {s.FirstEpoch - 1})" : "");
    }

    public static void Write(IAnsiConsole console, TrainOutcome o)
    {
        if (o.History.Count > 0)
        {
            var best = o.History.MaxBy(r => r.ValidAccuracy)!;
            var last = o.History[^1];
            var thisRun = o.History.Where(r => r.Epoch >= o.FirstEpoch).ToList();
            var seconds = $"{thisRun.Sum(r => r.Seconds):F1} s of training";
            if (o.FirstEpoch > 1)
                seconds += thisRun switch
                {
                    [] => " in this run",
                    [var one] => $" in this run (epoch {one.Epoch})",
                    [var first, .., var end] => $" in this run (epochs {first.Epoch} to {end.Epoch})",
                };
            console.WriteLine($"valid accuracy {EpochTable.F(last.ValidAccuracy, "F4")} after epoch {last.Epoch} (best {EpochTable.F(best.ValidAccuracy, "F4")} at epoch {best.Epoch}); {seconds}");
        }
        foreach (var f in o.Files) console.WriteLine($"wrote {Shown.Path(f)}");
    }
}
