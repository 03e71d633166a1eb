using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class ParametersLoopTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Update_steps_every_registered_parameter_and_clears_the_grads()
    {
        manual_seed(1);
        using var model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2));
        using var scope = NewDisposeScope();
        LossFunc.CrossEntropy(model.call(rand(5, 4)), tensor(new long[] { 0, 1, 0, 1, 1 })).backward();
        var expected = model.parameters().Select(p => (p.detach() - p.grad! * 0.5).clone()).ToList();

        ParametersLoop.Update(model, 0.5);

        Assert.All(model.parameters().Zip(expected), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 1e-7)));
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Trains_nn_Sequential()
    {
        manual_seed(1);
        using var model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10));

        var reports = ParametersLoop.Fit(model, data.Mnist.XTrain, data.Mnist.YTrain, lr: 0.5, epochs: 3);

        Assert.Equal(3, reports.Count);
        Assert.All(reports, r => Assert.True(r.Loss < 0.5 && r.Accuracy >= 0.9));
        Assert.True(data.ValidAccuracy(model.call) > 0.95);
    }
}
