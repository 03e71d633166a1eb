using System.Diagnostics;
using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Backprop.Cli.Display;

/// <summary>The terminal display: what runs, the epoch table as it fills, and a progress bar for the current epoch.</summary>
internal sealed class LiveTrainDisplay : ITrainObserver
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(100);
    private readonly LiveDisplayContext _ctx;
    private readonly Stopwatch _frameClock = Stopwatch.StartNew();
    private IRenderable _header = new Text("");
    private Table _table = EpochTable.Create(0);
    private IRenderable _progress = new Text("");
    private int _total;

    private LiveTrainDisplay(LiveDisplayContext ctx) => _ctx = ctx;

    /// <summary>Runs <paramref name="train"/> under a live display on <paramref name="console"/>.</summary>
    public static TrainOutcome Run(IAnsiConsole console, Func<ITrainObserver, TrainOutcome> train) =>
        console.Live(new Text("loading MNIST ...")).AutoClear(false).Start(ctx => train(new LiveTrainDisplay(ctx)));

    public void Started(TrainStart start)
    {
        _total = start.Settings.Epochs;
        _header = new Rows(Summary.Describe(start).Select(l => new Markup($"[grey]{Markup.Escape(l)}[/]")));
        _table = EpochTable.Create(_total);
        Render();
    }

    public void Batch(BatchProgress p)
    {
        if (_frameClock.Elapsed < Frame && p.Batch + 1 < p.BatchCount) return;
        _frameClock.Restart();
        var done = (p.Batch + 1) / (double)p.BatchCount;
        var bar = new string('━', (int)(done * 40)).PadRight(40, '─');
        _progress = new Markup($"epoch {p.Epoch + 1}/{_total} [green]{bar}[/] {done,4:P0}  {p.BatchesPerSecond(),6:F0} batches/s  loss {EpochTable.F(p.RunningLoss(), "F4")}");
        Render();
    }

    public void Epoch(EpochResult r)
    {
        _table.AddRow(EpochTable.Row(r, _total));
        _progress = new Text("");
        Render();
    }

    private void Render()
    {
        _ctx.UpdateTarget(new Rows(_header, _table, _progress));
        _ctx.Refresh();
    }
}
