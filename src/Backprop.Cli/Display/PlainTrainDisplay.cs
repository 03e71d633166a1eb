using System.Diagnostics;
using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;

namespace Backprop.Cli.Display;

/// <summary>Plain lines for logs and CI: the run, a line at each quarter of an epoch's training and one halfway through its validation (each with the time left in the epoch and in the run), and a line per epoch.</summary>
internal sealed class PlainTrainDisplay(IAnsiConsole console) : ITrainObserver
{
    private readonly Stopwatch _clock = new();
    private int _total;
    private Eta _eta = new(0, 0, 0);

    public void Started(TrainStart start)
    {
        _total = start.Settings.Epochs;
        _eta = new Eta(_total - start.FirstEpoch + 1, start.BatchesPerEpoch, start.ValidBatchesPerEpoch);
        _clock.Start();
        foreach (var line in Summary.Describe(start)) console.WriteLine(line);
        console.WriteLine($"{"epoch",7}  {"train loss",10}  {"valid loss",10}  {"valid acc",9}  {"seconds",7}");
    }

    public void Batch(BatchProgress p)
    {
        _eta.Train(p.Batch + 1, _clock.Elapsed.TotalSeconds);
        var quarter = Math.Max(1, p.BatchCount / 4);
        if ((p.Batch + 1) % quarter != 0 || p.Batch + 1 == p.BatchCount) return;
        console.WriteLine($"  epoch {p.Epoch}: batch {p.Batch + 1}/{p.BatchCount}, loss {EpochTable.F(p.RunningLoss(), "F4")}, {p.BatchesPerSecond():F0} batches/s{Left()}");
    }

    public void Validation(ValidationProgress p)
    {
        _eta.Valid(p.Batch + 1, _clock.Elapsed.TotalSeconds);
        if (p.BatchCount < 2 || p.Batch + 1 != p.BatchCount / 2) return; // one line a pass: the epoch's row follows soon
        console.WriteLine($"  epoch {p.Epoch}: validating, batch {p.Batch + 1}/{p.BatchCount}{Left()}");
    }

    public void Epoch(EpochResult r)
    {
        _eta.EpochEnded(_clock.Elapsed.TotalSeconds);
        var row = EpochTable.Row(r, _total);
        console.WriteLine($"{row[0],7}  {row[1],10}  {row[2],10}  {row[3],9}  {row[4],7}");
    }

    private string Left() => _eta.Describe() is { Length: > 0 } eta ? ", " + eta : "";
}
