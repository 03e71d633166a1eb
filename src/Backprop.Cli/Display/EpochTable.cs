using System.Globalization;
using Backprop.Training;
using Spectre.Console;

namespace Backprop.Cli.Display;

/// <summary>The per-epoch table: epoch, train loss, valid loss, valid accuracy, seconds.</summary>
internal static class EpochTable
{
    public static Table Create(int total)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn(new TableColumn($"epoch/{total}").RightAligned());
        foreach (var name in new[] { "train loss", "valid loss", "valid acc", "seconds" }) table.AddColumn(new TableColumn(name).RightAligned());
        return table;
    }

    public static string[] Row(EpochResult r, int total) =>
    [
        $"{r.Epoch}/{total}",
        F(r.TrainLoss, "F4"),
        F(r.ValidLoss, "F4"),
        F(r.ValidAccuracy, "F4"),
        F(r.Seconds, "F2"),
    ];

    public static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
}
