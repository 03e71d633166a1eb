using Backprop.Data;
using Backprop.Scratch;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

[Collection(MnistGroup.Name)]
public sealed class ManualStepTests(MnistFixture data)
{
    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.Mse)]
    public void Fit_with_manual_gradients_ends_where_autograd_ends(LossKind loss)
    {
        using var x = data.Mnist.XTrain[..2000];
        using var y = data.Mnist.YTrain[..2000];
        var ds = new Dataset(x, y);

        manual_seed(1);
        var (model, opt) = Models.GetModel(lr: 0.5);
        manual_seed(1);
        using var manual = ManualClassifier.Create();
        using (model)
        using (opt)
        using (var autoDl = new DataLoader(ds, 50))
        using (var manualDl = new DataLoader(ds, 50))
        {
            var auto = Fit.Run(2, new AutogradStep(model, LossFunc.For(loss), opt), LossFunc.For(loss), autoDl, null);
            var byHand = Fit.Run(2, new ManualStep(manual, loss, 0.5), LossFunc.For(loss), manualDl, null);

            Assert.Equal(auto.Select(r => r.TrainLoss), byHand.Select(r => r.TrainLoss), (a, b) => Math.Abs(a - b) < 1e-5);
            var layers = model.children().OfType<TorchSharp.Modules.Linear>().ToArray();
            TensorAssert.Close(layers[0].weight.t(), manual.W1, 1e-4);
            TensorAssert.Close(layers[1].bias!, manual.B2, 1e-4);
        }
    }

    [Fact]
    public void Predict_gives_the_logits_without_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var manual = ManualClassifier.Create();
        var step = new ManualStep(manual, LossKind.CrossEntropy, 0.5);

        var preds = step.Predict(data.Mnist.XValid[..7]);

        Assert.Equal([7L, 10], preds.shape);
        Assert.False(preds.requires_grad);
        TensorAssert.Close(manual.Forward(data.Mnist.XValid[..7]), preds, 0);
    }
}
