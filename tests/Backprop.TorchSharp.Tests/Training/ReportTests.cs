using System.Globalization;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class ReportTests
{
    [Fact]
    public void Reads_the_loss_and_the_batch_accuracy()
    {
        using var scope = NewDisposeScope();
        var preds = tensor(new float[] { 0.1f, 0.9f, 0.8f, 0.2f }).reshape(2, 2);

        var report = Report.Of(tensor(0.123f), preds, tensor(new long[] { 1, 1 }));

        Assert.Equal(0.123, report.Loss, 1e-6);
        Assert.Equal(0.5, report.Accuracy);
    }

    [Fact]
    public void Prints_like_the_lesson_in_any_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");

            Assert.Equal("0.12, 0.98", new Report(0.1234, 0.9751).ToString());
            Assert.Equal("2.30, 0.10", new Report(2.302585, 0.1).ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
