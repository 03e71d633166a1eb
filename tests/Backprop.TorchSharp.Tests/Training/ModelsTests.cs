using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

[Collection(MnistGroup.Name)]
public sealed class ModelsTests(MnistFixture data)
{
    [Fact]
    public void GetModel_is_784_50_10_with_SGD_at_the_lesson_s_rate()
    {
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
        {
            Assert.Equal([[50L, 784], [50], [10, 50], [10]], model.parameters().Select(p => p.shape));
            Assert.Equal(0.5, opt.ParamGroups.Single().LearningRate);
            Assert.Equal(4, opt.parameters().Count());
        }
    }

    [Fact]
    public void The_untrained_loss_is_about_ln_10()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel(lr: 0.1, nh: 20);
        using (model)
        using (opt)
        using (var scope = NewDisposeScope())
        {
            var loss = LossFunc.CrossEntropy(model.call(data.Mnist.XTrain[..50]), data.Mnist.YTrain[..50]).item<float>();

            // Lesson 04, cell 21: tensor(2.30): ten classes, near-uniform predictions, -ln(1/10) = 2.303.
            Assert.Equal(2.30, loss, 0.05);
            Assert.Equal(0.1, opt.ParamGroups.Single().LearningRate);
            Assert.Equal([20L, 784], model.parameters().First().shape);
        }
    }

    [Fact]
    public void A_hidden_size_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.GetModel(nh: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.GetModel(0.5, hidden: [100, -5]));
        Assert.Throws<ArgumentException>(() => Models.GetModel(0.5, hidden: []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.GetModel(double.NaN, hidden: [100]));
    }

    [Fact]
    public void With_hidden_100_50_it_is_nn_Sequential_of_Linear_ReLU_Linear_ReLU_Linear_drawn_in_PyTorch_s_order()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel(lr: 0.5, hidden: [100, 50]);
        manual_seed(1);
        using var l0 = nn.Linear(784, 100);
        using var l2 = nn.Linear(100, 50);
        using var l4 = nn.Linear(50, 10);
        using (model)
        using (opt)
        {
            Assert.Equal(["Linear", "ReLU", "Linear", "ReLU", "Linear"], model.children().Select(m => m.GetType().Name));
            Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], model.named_parameters().Select(p => p.name));
            Assert.Equal([[100L, 784], [100], [50, 100], [50], [10, 50], [10]], model.parameters().Select(p => p.shape));
            Assert.All(model.parameters().Zip(new[] { l0, l2, l4 }.SelectMany(l => new[] { l.weight, l.bias! })), pair => Assert.True(pair.First.Equals(pair.Second)));
            Assert.Equal(6, opt.parameters().Count());
            using var scope = NewDisposeScope();
            Assert.Equal(2.30, LossFunc.CrossEntropy(model.call(data.Mnist.XTrain[..50]), data.Mnist.YTrain[..50]).item<float>(), 0.05);
        }
        // One width is the lesson's model, drawn as GetModel(nh) draws it.
        manual_seed(1);
        using var one = Models.GetSequential([100]);
        Assert.True(one.parameters().First().Equals(l0.weight));
        Assert.Equal(4, one.parameters().Count());
    }

    [CudaFact]
    public void On_cuda_the_optimizer_holds_the_moved_parameters_and_the_weights_are_the_cpu_s()
    {
        manual_seed(1);
        var (cpuModel, cpuOpt) = Models.GetModel();
        manual_seed(1);
        var (model, opt) = Models.GetModel(device: CUDA);
        using (cpuModel)
        using (cpuOpt)
        using (model)
        using (opt)
        {
            Assert.All(opt.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device.type));
            Assert.Equal(model.parameters().Select(p => p.Handle), opt.parameters().Select(p => p.Handle));
            Assert.All(model.parameters().Zip(cpuModel.parameters()), pair => Assert.True(pair.First.cpu().Equals(pair.Second)));
        }
    }
}
