using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class OptimizerTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Step_subtracts_lr_times_the_grad_and_ZeroGrad_zeroes_it()
    {
        manual_seed(1);
        using var model = nn.Linear(4, 2);
        using var scope = NewDisposeScope();
        var opt = new Optimizer(model.parameters(), lr: 0.1);
        LossFunc.CrossEntropy(model.call(rand(3, 4)), tensor(new long[] { 0, 1, 1 })).backward();
        var expected = model.parameters().Select(p => (p.detach() - p.grad! * 0.1).clone()).ToList();

        opt.Step();
        opt.ZeroGrad();

        Assert.All(model.parameters().Zip(expected), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 1e-7)));
        Assert.All(model.parameters(), p => Assert.Equal(0f, p.grad!.abs().sum().item<float>()));
        Assert.Equal(2, opt.Params.Count);
    }

    [Fact]
    public void Steps_exactly_like_optim_SGD()
    {
        var ours = Train(m => new Optimizer(m.parameters(), 0.5));
        var sgd = Train(m => optim.SGD(m.parameters(), 0.5));

        Assert.All(ours.Zip(sgd), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 1e-6)));
    }

    [Fact]
    public void Plugs_in_where_a_torch_optimizer_goes_and_refuses_a_closure()
    {
        using var model = nn.Linear(4, 2);
        optim.Optimizer opt = new Optimizer(model.parameters());

        Assert.Equal(2, opt.parameters().Count());
        Assert.Throws<NotSupportedException>(() => opt.step(() => zeros(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Optimizer(model.parameters(), -1));
    }

    private List<Tensor> Train(Func<nn.Module, optim.Optimizer> makeOpt)
    {
        manual_seed(1);
        using var model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10));
        var opt = makeOpt(model);
        OptimizerLoop.Fit(model, opt, data.Mnist.XTrain[..5000], data.Mnist.YTrain[..5000], epochs: 1);
        return [.. model.parameters().Select(p => p.detach().clone())];
    }
}
