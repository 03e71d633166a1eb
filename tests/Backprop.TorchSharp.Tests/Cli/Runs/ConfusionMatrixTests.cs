using Backprop.Cli.Runs;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void Counts_true_class_by_row_and_prediction_by_column()
    {
        using var preds = tensor(new long[] { 0, 1, 1, 2, 2, 0 });
        using var targs = tensor(new long[] { 0, 1, 2, 2, 2, 1 });

        var m = ConfusionMatrix.From(preds, targs, classes: 4);

        Assert.Equal(4, m.Classes);
        Assert.Equal(6, m.Count);
        Assert.Equal(1, m[0, 0]);
        Assert.Equal(1, m[1, 1]);
        Assert.Equal(1, m[1, 0]); // a true 1 predicted 0
        Assert.Equal(1, m[2, 1]); // a true 2 predicted 1
        Assert.Equal(2, m[2, 2]);
        Assert.Equal(0, m[0, 1]);
        Assert.Equal(4.0 / 6, m.Accuracy, 12);
        // Per class: 1/1, 1/2, 2/3, and 0 for the class that never occurs.
        Assert.Equal([1.0, 0.5, 2.0 / 3, 0.0], m.PerClassAccuracy);
        Assert.Equal(3, m.Support(2));
    }

    [Fact]
    public void Labels_outside_the_classes_are_refused()
    {
        using var preds = tensor(new long[] { 0, 5 });
        using var targs = tensor(new long[] { 0, 1 });

        var e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.From(preds, targs, classes: 3));
        Assert.Contains("[0, 3)", e.Message);
    }

    [Fact]
    public void Predictions_and_targets_of_different_shapes_are_refused()
    {
        using var preds = tensor(new long[] { 0, 1, 2 });
        using var targs = tensor(new long[] { 0, 1 });

        var e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.From(preds, targs, classes: 3));
        Assert.Contains("(3)", e.Message);
        Assert.Contains("(2)", e.Message);
    }

    [Fact]
    public void A_matrix_that_is_not_square_is_refused() =>
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new long[2, 3]));
}
