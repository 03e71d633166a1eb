using Backprop.Cli.Charts;
using Backprop.Cli.Runs;
using Backprop.Training;
using ScottPlot;
using ScottPlot.Plottables;
using StbImageSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

[Collection(MnistGroup.Name)]
public sealed class TopLossesTests(MnistFixture data)
{
    [Fact]
    public void The_highest_losses_of_the_validation_set_come_first_with_their_prediction_and_probability()
    {
        var m = data.Mnist;
        manual_seed(1);
        using var model = Models.GetSequential(); // untrained: losses spread widely, few ties
        Tensor Predict(Tensor xb) => model.call(xb);

        var top = TopLosses.Find(Predict, m.XValid, m.YValid, CPU, 40, bs: 777);

        // The reference: every item's cross-entropy at once, sorted independently.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.call(m.XValid).to_type(ScalarType.Float64);
        var losses = nn.functional.cross_entropy(logits, m.YValid, reduction: nn.Reduction.None).data<double>().ToArray();
        var expected = Enumerable.Range(0, losses.Length).OrderByDescending(i => losses[i]).ThenBy(i => i).Take(40).ToArray();
        Assert.Equal(expected, top.Select(t => t.Index));
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Loss >= p.Second.Loss));
        var probs = nn.functional.softmax(logits, 1);
        foreach (var t in top)
        {
            Assert.Equal(losses[t.Index], t.Loss, 5); // ours is float32 arithmetic
            Assert.Equal(m.YValid[t.Index].item<long>(), t.Actual);
            Assert.Equal(logits[t.Index].argmax().item<long>(), t.Predicted);
            Assert.Equal(probs[t.Index, t.Predicted].item<double>(), t.Probability, 5);
        }
    }

    [Fact]
    public void Each_digit_is_a_heatmap_in_its_cell_under_its_title_prediction_actual_loss_probability()
    {
        var m = data.Mnist;
        var digits = Enumerable.Range(0, 10)
            .Select(i => new TopLossesPlot.Digit(m.XValid[i].data<float>().ToArray(), i < 5 ? (i + 1) % 10 : m.YValid[i].item<long>(), m.YValid[i].item<long>(), 5.0 - i * 0.1, 0.9))
            .ToList();

        var (plot, width, height) = TopLossesPlot.Build(digits, "top losses after epoch 5: 784-50-10", columns: 4, cell: 100);

        Assert.Equal((400, TopLossesPlot.TitleHeight + 3 * 110), (width, height));
        Assert.StartsWith("top losses after epoch 5: 784-50-10", plot.Axes.Title.Label.Text, StringComparison.Ordinal);
        var images = plot.GetPlottables<Heatmap>().ToList();
        Assert.Equal(10, images.Count);
        Assert.All(images, h => Assert.Equal((28, 28), (h.Intensities.GetLength(0), h.Intensities.GetLength(1))));
        Assert.Equal(digits[3].Pixels[5 * 28 + 14], images[3].Intensities[5, 14], 1e-6); // row-major: row 5, column 14
        // Fourth digit: column 3 of row 0; fifth: column 0 of row 1 (the plot's units are pixels, y upwards).
        var (fourth, fifth) = (images[3].GetAxisLimits(), images[4].GetAxisLimits());
        Assert.True(fourth.Left >= 300 && fourth.Right <= 400);
        Assert.True(fifth.Left >= 0 && fifth.Right <= 100);
        Assert.True(fifth.Top < fourth.Bottom);
        var titles = plot.GetPlottables<Text>().ToList();
        Assert.Equal(10, titles.Count);
        Assert.Equal($"{digits[0].Predicted}/{digits[0].Actual} / 5.00 / 0.90", titles[0].LabelText);
        Assert.Equal($"{digits[7].Actual}/{digits[7].Actual} / 4.30 / 0.90", titles[7].LabelText);
        Assert.All(titles[..5], t => Assert.Equal(Colors.DarkRed, t.LabelFontColor)); // wrong: red
        Assert.All(titles[5..], t => Assert.Equal(Colors.DarkGreen, t.LabelFontColor)); // right: green
        Assert.All(titles.Zip(images), p => Assert.True(p.First.Location.Y > p.Second.GetAxisLimits().Top)); // each above its digit
    }

    [Fact]
    public void Draws_real_digits_in_rows_of_the_given_width_under_a_title_band()
    {
        var m = data.Mnist;
        using var dir = new TempDir();
        var digits = Enumerable.Range(0, 10)
            .Select(i => new TopLossesPlot.Digit(m.XValid[i].data<float>().ToArray(), (i + 1) % 10, m.YValid[i].item<long>(), 5.0 - i * 0.1, 0.9))
            .ToList();

        TopLossesPlot.Save(digits, dir.File("top.png"), "top losses after epoch 5: 784-50-10", columns: 4, cell: 100);

        var png = ImageResult.FromMemory(File.ReadAllBytes(dir.File("top.png")), ColorComponents.RedGreenBlue);
        Assert.Equal(4 * 100, png.Width);
        Assert.Equal(TopLossesPlot.TitleHeight + 3 * 110, png.Height);
        // Ink: some pixels are near black (the strokes and the title), most are near white (the background).
        var pixels = png.Data.Chunk(3).ToList();
        Assert.Contains(pixels, p => p[0] < 40 && p[1] < 40 && p[2] < 40);
        Assert.True(pixels.Count(p => p[0] > 230 && p[1] > 230 && p[2] > 230) > pixels.Count / 2);
        if (Figure.TextProblem is not null) return; // a system without fonts draws no text (the runner warns); .ci/run installs one
        var band = pixels.Take(TopLossesPlot.TitleHeight * png.Width);
        Assert.Contains(band, p => p[0] < 100); // the title is drawn
        // The first digit's title, above its image: dark green if the prediction is right, dark red if not.
        var title = pixels.Skip(TopLossesPlot.TitleHeight * png.Width).Take(20 * png.Width).Where((_, k) => k % png.Width < 100).ToList();
        var right = digits[0].Predicted == digits[0].Actual;
        Assert.Contains(title, p => right ? p[1] > 60 && p[0] < 30 && p[2] < 30 : p[0] > 90 && p[1] < 30 && p[2] < 30);
        Assert.DoesNotContain(title, p => right ? p[0] > 90 && p[1] < 30 && p[2] < 30 : p[1] > 60 && p[0] < 30 && p[2] < 30);
    }

    [Fact]
    public void A_digit_that_is_not_28_by_28_is_refused()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<ArgumentException>(() => TopLossesPlot.Save([new(new float[100], 1, 2, 3, 0.5)], dir.File("g.png"), "t"));
        Assert.Contains("100 pixels", e.Message);
    }

    [Fact]
    public void No_digits_is_refused()
    {
        using var dir = new TempDir();

        Assert.Throws<ArgumentException>(() => TopLossesPlot.Save([], dir.File("g.png"), "t"));
    }
}
