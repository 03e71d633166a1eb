using Backprop.Cli.Runs;
using Backprop.Training;
using Spectre.Console;

namespace Backprop.Cli.Display;

/// <summary>Plain lines for logs and CI: the run, a line at each quarter of an epoch, and a line per epoch.</summary>
internal sealed class PlainTrainDisplay(IAnsiConsole console) : ITrainObserver
{
    private int _total;

    public void Started(TrainStart start)
    {
        _total = start.Settings.Epochs;
        foreach (var line in Summary.Describe(start)) console.WriteLine(line);
        console.WriteLine($"{"epoch",7}  {"train loss",10}  {"valid loss",10}  {"valid acc",9}  {"seconds",7}");
    }

    public void Batch(BatchProgress p)
    {
        var quarter = Math.Max(1, p.BatchCount / 4);
        if ((p.Batch + 1) % quarter != 0 || p.Batch + 1 == p.BatchCount) return;
        console.WriteLine($"  epoch {p.Epoch}: batch {p.Batch + 1}/{p.BatchCount}, loss {EpochTable.F(p.RunningLoss(), "F4")}, {p.BatchesPerSecond():F0} batches/s");
    }

    public void Epoch(EpochResult r)
    {
        var row = EpochTable.Row(r, _total);
        console.WriteLine($"{row[0],7}  {row[1],10}  {row[2],10}  {row[3],9}  {row[4],7}");
    }
}
