using System.Diagnostics;
using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Backprop.Cli.Display;

/// <summary>The terminal display: what runs, the epoch table as it fills, and a progress line for the current epoch's training, then its validation, with the elapsed time and the time left in the epoch and in the run.</summary>
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
    private (int Epoch, int Batch, int Count, bool Validating)? _last; // the last batch seen, for the line that ends a cut-short epoch
    private int _total;
    private Eta _eta = new(0, 0, 0);

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
        _eta = new Eta(_total - start.FirstEpoch + 1, start.BatchesPerEpoch, start.ValidBatchesPerEpoch);
        _header = new Rows(Summary.Describe(start).Select(l => new Markup($"[grey]{Markup.Escape(l)}[/]")));
        _table = EpochTable.Create(_total);
        _runClock.Start();
        Render();
    }

    public void Batch(BatchProgress p)
    {
        _eta.Train(p.Batch + 1, _runClock.Elapsed.TotalSeconds);
        _last = (p.Epoch, p.Batch + 1, p.BatchCount, false);
        if (!NextFrame(p.Batch + 1 == p.BatchCount)) return;
        var stopping = _cancel.IsCancellationRequested ? "  [yellow]stopping after this batch (Ctrl+C again quits now)[/]" : "";
        _progress = new Markup(TrainLine(p.Epoch, _total, p.Batch + 1, p.BatchCount, p.BatchesPerSecond(), p.RunningLoss(), _runClock.Elapsed, _eta.Describe()) + stopping);
        Render();
    }

    public void Validation(ValidationProgress p)
    {
        _eta.Valid(p.Batch + 1, _runClock.Elapsed.TotalSeconds);
        _last = (p.Epoch, p.Batch + 1, p.BatchCount, true);
        if (!NextFrame(p.Batch + 1 == p.BatchCount)) return;
        _progress = new Markup(ValidationLine(p.Epoch, _total, p.Batch + 1, p.BatchCount, _runClock.Elapsed, _eta.Describe()));
        Render();
    }

    public void Epoch(EpochResult r)
    {
        _eta.EpochEnded(_runClock.Elapsed.TotalSeconds);
        _table.AddRow(EpochTable.Row(r, _total));
        (_progress, _last) = (null, null);
        Render();
    }

    /// <summary>The progress line while training: <c>epoch 2/5 ━━━━───── 52%  3125 batches/s  loss 0.1234  elapsed 0:03  ETA epoch 0:01, run 0:10</c> (markup).</summary>
    internal static string TrainLine(int epoch, int total, int done, int count, double batchesPerSecond, double loss, TimeSpan elapsed, string eta) =>
        $"epoch {epoch}/{total} [green]{Bar(done, count)}[/] {Percent(done, count)}  {batchesPerSecond,6:F0} batches/s  loss {EpochTable.F(loss, "F4")}  elapsed {Clock(elapsed)}{(eta.Length > 0 ? "  " + eta : "")}";

    /// <summary>The progress line while validating: <c>epoch 2/5 ━━━━───── 40%  validating 20/50  elapsed 0:04  ETA epoch 0:00, run 0:07</c> (markup).</summary>
    internal static string ValidationLine(int epoch, int total, int done, int count, TimeSpan elapsed, string eta) =>
        $"epoch {epoch}/{total} [blue]{Bar(done, count)}[/] {Percent(done, count)}  validating {done}/{count}  elapsed {Clock(elapsed)}{(eta.Length > 0 ? "  " + eta : "")}";

    private const int BarWidth = 30; // with the two ETAs, the line fits 120 columns

    private static string Bar(int done, int count) => new string('━', (int)((double)done / count * BarWidth)).PadRight(BarWidth, '─');

    private static string Percent(int done, int count) => $"{100L * done / count,3}%";

    // At most one frame per Frame, and always the last batch of a pass (so that 100% shows).
    private bool NextFrame(bool last)
    {
        if (_frameClock.Elapsed < Frame && !last) return false;
        _frameClock.Restart();
        return true;
    }

    private static string Clock(TimeSpan t) => Eta.Clock(t);

    // An epoch cut short (Ctrl+C, an error) ends as one plain line in place of its bar: no stale bar, no blank gap.
    private void Close()
    {
        if (_progress is not null && _last is var (epoch, batch, count, validating))
            _progress = new Markup($"[yellow]epoch {epoch}/{_total} stopped {(validating ? $"while validating (batch {batch} of {count})" : $"after batch {batch} of {count}")}; it is not in the checkpoint[/]");
        Render();
    }

    private void Render()
    {
        _ctx.UpdateTarget(_progress is null ? new Rows(_header, _table) : new Rows(_header, _table, _progress));
        _ctx.Refresh();
    }
}
