using System.Diagnostics;
using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Backprop.Cli.Display;

/// <summary>The terminal display: what runs, the epoch table as it fills, and a progress line for the current epoch with the elapsed time and an ETA.</summary>
internal sealed class LiveTrainDisplay : ITrainObserver
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(100);
    private readonly LiveDisplayContext _ctx;
    private readonly CancellationToken _cancel;
    private readonly Stopwatch _frameClock = Stopwatch.StartNew();
    private readonly Stopwatch _runClock = new();
    private IRenderable _header = new Text("");
    private Table _table = EpochTable.Create(0);
    private IRenderable? _progress;
    private (int Epoch, int Batch, int Count)? _last; // the last batch seen, for the line that ends a cut-short epoch
    private int _total;
    private long _batchesDone;

    private LiveTrainDisplay(LiveDisplayContext ctx, CancellationToken cancel)
    {
        _ctx = ctx;
        _cancel = cancel;
    }

    /// <summary>Runs <paramref name="train"/> under a live display on <paramref name="console"/>; a cancelled <paramref name="cancel"/> shows as "stopping".</summary>
    public static TrainOutcome Run(IAnsiConsole console, Func<ITrainObserver, TrainOutcome> train, CancellationToken cancel)
    {
        using var echo = ControlEcho.Suppress(); // no "^C" printed into the last frame
        return console.Live(new Text("loading MNIST ...")).AutoClear(false).Start(ctx =>
        {
            var display = new LiveTrainDisplay(ctx, cancel);
            try
            {
                return train(display);
            }
            finally
            {
                display.Close();
            }
        });
    }

    public void Started(TrainStart start)
    {
        _total = start.Settings.Epochs;
        _header = new Rows(Summary.Describe(start).Select(l => new Markup($"[grey]{Markup.Escape(l)}[/]")));
        _table = EpochTable.Create(_total);
        _runClock.Start();
        Render();
    }

    public void Batch(BatchProgress p)
    {
        _batchesDone++;
        _last = (p.Epoch, p.Batch + 1, p.BatchCount);
        if (_frameClock.Elapsed < Frame && p.Batch + 1 < p.BatchCount) return;
        _frameClock.Restart();
        var done = (p.Batch + 1) / (double)p.BatchCount;
        var bar = new string('━', (int)(done * 40)).PadRight(40, '─');
        var elapsed = _runClock.Elapsed;
        var left = (long)(_total - p.Epoch) * p.BatchCount + (p.BatchCount - p.Batch - 1);
        var eta = TimeSpan.FromSeconds(elapsed.TotalSeconds / _batchesDone * left);
        var stopping = _cancel.IsCancellationRequested ? "  [yellow]stopping after this batch (Ctrl+C again quits now)[/]" : "";
        _progress = new Markup($"epoch {p.Epoch}/{_total} [green]{bar}[/] {done,4:P0}  {p.BatchesPerSecond(),6:F0} batches/s  loss {EpochTable.F(p.RunningLoss(), "F4")}  elapsed {Clock(elapsed)}  ETA {Clock(eta)}{stopping}");
        Render();
    }

    public void Epoch(EpochResult r)
    {
        _table.AddRow(EpochTable.Row(r, _total));
        (_progress, _last) = (null, null);
        Render();
    }

    /// <summary>m:ss, or h:mm:ss from an hour.</summary>
    public static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{(int)t.TotalMinutes}:{t:ss}";

    // An epoch cut short (Ctrl+C, an error) ends as one plain line in place of its bar: no stale bar, no blank gap.
    private void Close()
    {
        if (_progress is not null && _last is var (epoch, batch, count))
            _progress = new Markup($"[yellow]epoch {epoch}/{_total} stopped after batch {batch} of {count}; it is not in the checkpoint[/]");
        Render();
    }

    private void Render()
    {
        _ctx.UpdateTarget(_progress is null ? new Rows(_header, _table) : new Rows(_header, _table, _progress));
        _ctx.Refresh();
    }
}
